import { PassThrough } from 'node:stream';
import type { PluginModule } from '@clawdesk/sandbox';
import { serve } from '../src/serve.js';

type Message = { jsonrpc: '2.0'; id?: string | number | null; method?: string; params?: any; result?: any; error?: any };

/** serve() over in-memory streams, with a tiny host side to talk to it. */
function connect(plugin: PluginModule) {
  const input = new PassThrough();
  const output = new PassThrough();
  const handle = serve(plugin, { input, output, redirectConsole: false, exitOnEnd: false });
  const received: Message[] = [];
  const listeners = new Set<() => void>();
  let buffer = '';
  output.setEncoding('utf8');
  output.on('data', (chunk: string) => {
    const lines = (buffer + chunk).split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) received.push(JSON.parse(line) as Message);
    for (const listener of listeners) listener();
  });
  const next = (match: (m: Message) => boolean): Promise<Message> =>
    new Promise((resolve) => {
      const check = () => {
        const found = received.find(match);
        if (!found) return;
        listeners.delete(check);
        resolve(found);
      };
      listeners.add(check);
      check();
    });
  const send = (message: Omit<Message, 'jsonrpc'>) => input.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  let nextId = 1;
  const request = async (method: string, params?: unknown) => {
    const id = nextId++;
    send({ id, method, params });
    return next((m) => m.id === id && m.method === undefined);
  };
  return { input, handle, received, next, send, request };
}

const echoPlugin: PluginModule = {
  name: 'echoer',
  tools: {
    echo: { description: 'Returns its arguments', run: (args) => args },
    raw: { description: 'Returns a full tool result', run: () => ({ content: [{ type: 'text', text: 'as is' }], isError: false }) },
    nothing: { description: 'Returns undefined', run: () => undefined },
    fail: {
      description: 'Throws',
      inputSchema: { type: 'object', properties: { why: { type: 'string' } } },
      run: ({ why }) => {
        throw new Error(why);
      },
    },
    denied: {
      description: 'Hits the permission model',
      run: () => {
        throw Object.assign(new Error('Access to this API has been restricted'), {
          code: 'ERR_ACCESS_DENIED',
          permission: 'FileSystemRead',
          resource: '/etc/passwd',
        });
      },
    },
  },
  hooks: {
    on_test: (payload) => ({ got: payload }),
    on_quiet: () => undefined,
    on_broken: () => {
      throw new Error('hook broke');
    },
  },
};

describe('serve()', () => {
  test('initialize answers with the MCP shape, echoing the protocol version and listing hooks under experimental.clawdesk', async () => {
    const { request, handle } = connect(echoPlugin);
    const reply = await request('initialize', { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'any', version: '1' } });
    expect(reply).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: {
        protocolVersion: '2025-03-26',
        capabilities: { tools: {}, experimental: { clawdesk: { protocol: 1, hooks: ['on_test', 'on_quiet', 'on_broken'] } } },
        serverInfo: { name: 'echoer', version: '0.0.0' },
      },
    });
    handle.close();
  });

  test('tools/list gives every tool with its description and schema (an object schema by default)', async () => {
    const { request, handle } = connect(echoPlugin);
    const { result } = await request('tools/list');
    expect(result.tools.map((t: { name: string }) => t.name)).toEqual(['echo', 'raw', 'nothing', 'fail', 'denied']);
    expect(result.tools[0]).toEqual({ name: 'echo', description: 'Returns its arguments', inputSchema: { type: 'object' } });
    expect(result.tools[3].inputSchema).toEqual({ type: 'object', properties: { why: { type: 'string' } } });
    handle.close();
  });

  test('tools/call wraps a JSON value as text plus structuredContent, and passes a full result through', async () => {
    const { request, handle } = connect(echoPlugin);
    const args = { text: 'héllo 😀', n: [1, 2] };
    expect((await request('tools/call', { name: 'echo', arguments: args })).result).toEqual({
      content: [{ type: 'text', text: JSON.stringify(args) }],
      structuredContent: args,
    });
    expect((await request('tools/call', { name: 'raw' })).result).toEqual({ content: [{ type: 'text', text: 'as is' }], isError: false });
    expect((await request('tools/call', { name: 'nothing' })).result).toEqual({ content: [{ type: 'text', text: 'null' }], structuredContent: null });
    handle.close();
  });

  test('a tool that throws yields an isError result, not a protocol error', async () => {
    const { request, handle } = connect(echoPlugin);
    expect((await request('tools/call', { name: 'fail', arguments: { why: 'the disk is full' } })).result).toEqual({
      content: [{ type: 'text', text: 'the disk is full' }],
      isError: true,
    });
    handle.close();
  });

  test('a permission-model denial becomes JSON-RPC error -32003 with data.code PERMISSION_DENIED', async () => {
    const { request, handle } = connect(echoPlugin);
    expect((await request('tools/call', { name: 'denied' })).error).toEqual({
      code: -32003,
      message: 'Access to this API has been restricted',
      data: { code: 'PERMISSION_DENIED', permission: 'FileSystemRead', resource: '/etc/passwd' },
    });
    handle.close();
  });

  test('a tool or hook answers alike whether it returns at once or through a promise', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const denial = () => Object.assign(new Error('Access to this API has been restricted'), { code: 'ERR_ACCESS_DENIED', permission: 'FileSystemRead', resource: '/etc/passwd' });
    const { request, handle } = connect({
      name: 'both-ways',
      tools: {
        now: { description: 'Returns at once', run: (args) => args },
        later: { description: 'Resolves later', run: async (args) => args },
        rejects: { description: 'Rejects', run: async () => Promise.reject(new Error('later failure')) },
        circularNow: { description: 'Returns what JSON cannot hold', run: () => circular },
        circularLater: { description: 'Resolves to what JSON cannot hold', run: async () => circular },
        deniedLater: { description: 'Rejects with a denial', run: async () => Promise.reject(denial()) },
      },
      hooks: { on_later: async (payload) => ({ got: payload }), on_none: async () => undefined, on_rejects: async () => Promise.reject(new Error('hook broke later')) },
    });
    const result = async (name: string, args?: unknown) => (await request('tools/call', { name, arguments: args })).result;
    expect(await result('now', { a: 1 })).toEqual(await result('later', { a: 1 }));
    expect(await result('rejects')).toEqual({ content: [{ type: 'text', text: 'later failure' }], isError: true });
    const now = await result('circularNow');
    expect(now).toEqual({ content: [{ type: 'text', text: expect.stringContaining('circular') }], isError: true });
    expect(await result('circularLater')).toEqual(now);
    expect((await request('tools/call', { name: 'deniedLater' })).error).toEqual({
      code: -32003,
      message: 'Access to this API has been restricted',
      data: { code: 'PERMISSION_DENIED', permission: 'FileSystemRead', resource: '/etc/passwd' },
    });
    expect((await request('clawdesk/hook', { hook: 'on_later', payload: 2 })).result).toEqual({ got: 2 });
    expect((await request('clawdesk/hook', { hook: 'on_none' })).result).toBeNull();
    expect((await request('clawdesk/hook', { hook: 'on_rejects' })).error).toEqual({ code: -32000, message: 'hook broke later' });
    handle.close();
  });

  test('unknown tools, inherited property names and unknown methods are protocol errors', async () => {
    const { request, handle } = connect(echoPlugin);
    expect((await request('tools/call', { name: 'nope' })).error).toEqual({ code: -32602, message: 'Unknown tool: nope' });
    expect((await request('tools/call', { name: 'constructor' })).error).toEqual({ code: -32602, message: 'Unknown tool: constructor' });
    expect((await request('resources/list')).error).toEqual({ code: -32601, message: 'Method not found: resources/list' });
    expect((await request('ping')).result).toEqual({});
    handle.close();
  });

  test('clawdesk/hook answers with the hook value (null for none), and protocol errors for unknown or failing hooks', async () => {
    const { request, handle } = connect(echoPlugin);
    expect((await request('clawdesk/hook', { hook: 'on_test', payload: { a: 1 } })).result).toEqual({ got: { a: 1 } });
    expect((await request('clawdesk/hook', { hook: 'on_quiet', payload: 1 })).result).toBeNull();
    expect((await request('clawdesk/hook', { hook: 'toString' })).error).toEqual({ code: -32602, message: 'Unknown hook: toString' });
    expect((await request('clawdesk/hook', { hook: 'on_broken' })).error).toEqual({ code: -32000, message: 'hook broke' });
    handle.close();
  });

  test('notifications/cancelled aborts ctx.signal and the request is answered with -32800', async () => {
    let signal: AbortSignal | undefined;
    const { request, send, handle } = connect({
      tools: {
        wait: {
          description: 'Waits for cancellation',
          run: (_args, ctx) =>
            new Promise((_resolve, reject) => {
              signal = ctx.signal;
              ctx.signal.addEventListener('abort', () => reject(new Error('stopped')));
            }),
        },
      },
    });
    const reply = request('tools/call', { name: 'wait' });
    while (!signal) await new Promise((resolve) => setImmediate(resolve));
    send({ method: 'notifications/cancelled', params: { requestId: 1, reason: 'timed out' } });
    expect((await reply).error).toEqual({ code: -32800, message: 'Request cancelled' });
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('timed out');
    handle.close();
  });

  test('ctx.config and ctx.dataDir come from initialize; ctx.log sends host/log notifications', async () => {
    const { request, received, handle } = connect({
      tools: {
        look: {
          description: 'Reports its context and logs',
          run: (_args, ctx) => {
            ctx.log.warn('careful', { n: 1 });
            return { config: ctx.config, dataDir: ctx.dataDir };
          },
        },
      },
    });
    await request('initialize', { protocolVersion: '2025-06-18', capabilities: { experimental: { clawdesk: { config: { k: 'v' }, dataDir: '/data/p' } } } });
    expect((await request('tools/call', { name: 'look' })).result.structuredContent).toEqual({ config: { k: 'v' }, dataDir: '/data/p' });
    expect(received).toContainEqual({ jsonrpc: '2.0', method: 'host/log', params: { level: 'warn', message: 'careful', fields: { n: 1 } } });
    handle.close();
  });

  test('ctx.browserDownload asks the host with host/browserDownload and resolves or rejects with its answer', async () => {
    const { request, next, send, handle } = connect({
      tools: { get: { description: 'Downloads', run: ({ url }, ctx) => ctx.browserDownload(url) } },
    });
    const ok = request('tools/call', { name: 'get', arguments: { url: 'https://a.example/x' } });
    const asked = await next((m) => m.method === 'host/browserDownload');
    expect(asked.params).toEqual({ url: 'https://a.example/x' });
    const download = { path: '/data/x', bytes: 1, sha256: 'f', contentType: 'text/plain' };
    send({ id: asked.id, result: download });
    expect((await ok).result.structuredContent).toEqual(download);

    const refused = request('tools/call', { name: 'get', arguments: { url: 'https://b.example/y' } });
    const second = await next((m) => m.method === 'host/browserDownload' && m.id !== asked.id);
    send({ id: second.id, error: { code: -32000, message: 'host not allowed', data: { code: 'PERMISSION_DENIED' } } });
    expect((await refused).result).toEqual({ content: [{ type: 'text', text: 'host not allowed' }], isError: true });
    handle.close();
  });

  test('a request split across chunks, in the middle of a multi-byte character, is read whole; bad JSON gets a parse error', async () => {
    const { input, next, handle } = connect(echoPlugin);
    const bytes = Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id: 'split', method: 'tools/call', params: { name: 'echo', arguments: { s: '😀é' } } })}\n`);
    const cut = bytes.indexOf(Buffer.from('😀')) + 2;
    input.write(bytes.subarray(0, cut));
    input.write(bytes.subarray(cut));
    expect((await next((m) => m.id === 'split')).result.structuredContent).toEqual({ s: '😀é' });
    input.write('this is not json\n');
    expect(await next((m) => m.id === null)).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    handle.close();
  });

  test('requests that arrive together are answered in one write of whole lines, in the order they finished', async () => {
    const input = new PassThrough();
    const writes: string[] = [];
    const output = new PassThrough();
    output.on('data', (chunk: Buffer) => writes.push(chunk.toString()));
    const handle = serve(echoPlugin, { input, output, redirectConsole: false, exitOnEnd: false });
    const ids = Array.from({ length: 20 }, (_, i) => i + 1);
    input.write(ids.map((id) => `${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { id } } })}\n`).join(''));
    while (writes.join('').split('\n').length <= ids.length) await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);
    const lines = writes[0]!.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).result.structuredContent.id)).toEqual(ids);
    handle.close();
  });

  test('a long burst of answers goes out in slices of about 4 KiB, each of whole lines, in order', async () => {
    const input = new PassThrough();
    const writes: string[] = [];
    const output = new PassThrough();
    output.on('data', (chunk: Buffer) => writes.push(chunk.toString()));
    const handle = serve(echoPlugin, { input, output, redirectConsole: false, exitOnEnd: false });
    const ids = Array.from({ length: 300 }, (_, i) => i + 1);
    input.write(ids.map((id) => `${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { id } } })}\n`).join(''));
    while (writes.join('').split('\n').length <= ids.length) await new Promise((resolve) => setImmediate(resolve));
    expect(writes.length).toBeGreaterThan(1);
    expect(writes.length).toBeLessThan(ids.length / 10);
    for (const w of writes) expect(w.endsWith('\n')).toBe(true);
    for (const w of writes.slice(0, -1)) expect(w.length).toBeGreaterThanOrEqual(4096);
    const lines = writes.join('').split('\n').slice(0, -1);
    expect(lines.map((l) => JSON.parse(l).result.structuredContent.id)).toEqual(ids);
    handle.close();
  });

  test('when the input ends, running tools are aborted and closed settles', async () => {
    let signal: AbortSignal | undefined;
    const { input, request, handle } = connect({
      tools: { wait: { description: 'Waits', run: (_a, ctx) => new Promise(() => void (signal = ctx.signal)) } },
    });
    void request('tools/call', { name: 'wait' });
    while (!signal) await new Promise((resolve) => setImmediate(resolve));
    input.end();
    await handle.closed;
    expect(signal.aborted).toBe(true);
  });
});
