// @clawdesk/sandbox-process through @clawdesk/host's public API: what an app author sees when
// process plugins start slowly, crash, spin, flood stdout, reach for secrets, or behave.
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadManifest, type PluginManifest } from '@clawdesk/manifest';
import { resultValue } from '@clawdesk/sandbox';
import {
  childProcessesMentioning,
  ECHO_DIR,
  eventually,
  FIXTURES_DIR,
  fixture,
  isAlive,
  processHost,
  rejection,
  SCRATCH_ROOT,
  scratchDir,
  writeEchoPlugin,
} from './process-support.js';

const echoOn = async (runtime: PluginManifest['runtime'], patch: Partial<PluginManifest> = {}): Promise<PluginManifest> => ({
  ...(await loadManifest(ECHO_DIR)),
  runtime,
  ...patch,
});

// Whatever each test did, every plugin process this file started is gone once its host closed.
afterAll(async () => {
  const ours = () => [FIXTURES_DIR, ECHO_DIR, SCRATCH_ROOT].flatMap(childProcessesMentioning);
  expect(await eventually(() => ours().length === 0, 8_000)).toBe(true);
});

/** Restarts quickly, so crash tests do not wait on the default backoff. */
const FAST_RESTART = { initialDelayMs: 50, factor: 1, maxDelayMs: 50 };

describe('loading process plugins through the host', () => {
  test('a plugin that does not finish its handshake within startTimeoutMs fails the load clearly, is marked failed, and leaves no process', async () => {
    const t = processHost({ driver: { startTimeoutMs: 300 } });
    try {
      const began = performance.now();
      const error = await rejection(t.host.load(fixture('slow-start')));
      // The fixture needs 2.5 s before it answers: the load gave up at the driver's deadline, before that.
      expect(performance.now() - began).toBeLessThan(2_500);
      expect(error).toMatchObject({
        code: 'LOAD_FAILED',
        plugin: 'slow-start',
        driver: 'process',
        message:
          'plugin "slow-start" failed to load: did not finish the handshake (initialize, tools/list) within 300 ms; raise startTimeoutMs (in its manifest, createHost or createProcessDriver options) if it starts slowly',
        data: { startTimeoutMs: 300 },
      });
      expect(t.host.get('slow-start')).toMatchObject({ state: 'failed', error });
      expect(t.events.states).toEqual([{ plugin: 'slow-start', from: 'resolved', to: 'failed', error }]);
      expect(await eventually(() => childProcessesMentioning(path.join(FIXTURES_DIR, 'slow-start')).length === 0)).toBe(true);
    } finally {
      await t.close();
    }
  });

  test('a runtime that is not installed fails the load with RUNTIME_MISSING, naming the runtime and how to install it', async () => {
    const t = processHost({ driver: { runtimes: { bun: '/nonexistent/bin/bun' } } });
    try {
      const error = await rejection(t.host.load(await echoOn('bun')));
      expect(error).toMatchObject({
        code: 'RUNTIME_MISSING',
        plugin: 'process-echo',
        data: { runtime: 'bun', configured: '/nonexistent/bin/bun' },
        message:
          'runtime "bun" is not installed (needed by plugin "process-echo"): install Bun (`npm install --save-dev bun` puts it in node_modules/.bin, or see https://bun.sh) or pass createProcessDriver({ runtimes: { bun: "/path/to/bun" } })',
      });
      expect(t.host.get('process-echo')?.state).toBe('failed');
    } finally {
      await t.close();
    }
  });

  test('a tool the manifest declares but the plugin does not offer fails the load, naming the tool and what is offered', async () => {
    const t = processHost();
    try {
      const base = await echoOn('node');
      const error = await rejection(t.host.load({ ...base, tools: [...base.tools, { name: 'translate', description: 'Not implemented' }] }));
      expect(error).toMatchObject({
        code: 'LOAD_FAILED',
        plugin: 'process-echo',
        message:
          'plugin "process-echo" failed to load: the manifest declares tool "translate" but "tools/list" does not offer it (offered: echo, sleep, spin, crash)',
        data: { missing: ['translate'], offered: ['echo', 'sleep', 'spin', 'crash'] },
      });
      expect(await eventually(() => childProcessesMentioning(ECHO_DIR).length === 0)).toBe(true);
    } finally {
      await t.close();
    }
  });

  test('a manifest without tools gets them from tools/list, schemas included, and the host validates arguments with those schemas', async () => {
    const t = processHost();
    try {
      const entry = await t.host.load(await echoOn('node', { tools: [] }));
      expect(entry.state).toBe('active');
      expect(entry.tools.map((tool) => tool.name)).toEqual(['echo', 'sleep', 'spin', 'crash']);
      expect(entry.tools.find((tool) => tool.name === 'sleep')?.inputSchema).toEqual({
        type: 'object',
        properties: { ms: { type: 'number' } },
        required: ['ms'],
      });
      expect(await rejection(t.host.callTool('process-echo', 'sleep', { ms: 'soon' }))).toMatchObject({ code: 'INVALID_ARGUMENTS', tool: 'sleep' });
      expect(resultValue(await t.host.callTool('process-echo', 'sleep', { ms: 5 }))).toEqual({ slept: 5 });
    } finally {
      await t.close();
    }
  });

  test('a plugin that exits during start fails the load with its exit code and the tail of its stderr', async () => {
    const t = processHost();
    try {
      const error = await rejection(t.host.load(fixture('crash-on-start')));
      expect(error).toMatchObject({
        code: 'LOAD_FAILED',
        plugin: 'crash-on-start',
        message:
          'plugin "crash-on-start" failed to load: exited during start with exit code 2; last stderr:\n  starting crash-on-start\n  fatal: the database file is missing',
        data: { exitCode: 2, signal: null, stderr: 'starting crash-on-start\nfatal: the database file is missing' },
      });
      expect(t.host.get('crash-on-start')?.state).toBe('failed');
      expect(t.events.crashes).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('plugin output through the host', () => {
  test("stdout lines that are not protocol messages are skipped and reported as the plugin's warnings; the call still answers", async () => {
    const t = processHost();
    try {
      await t.host.load(fixture('stdout-garbage'));
      const result = await t.host.callTool('stdout-garbage', 'noisy', { keep: 'going' });
      expect(resultValue(result)).toEqual({ keep: 'going' });
      const noise = () => t.events.logs.filter((e) => e.message.startsWith('plugin wrote a non-protocol line'));
      expect(await eventually(() => noise().length === 4)).toBe(true);
      expect(noise()).toEqual(
        [
          { reason: 'not JSON', line: 'Server listening (a banner some libraries print)' },
          { reason: 'not a JSON-RPC 2.0 message: missing "jsonrpc": "2.0"', line: '{"not": "json-rpc"}' },
          { reason: 'not a JSON-RPC 2.0 message: not an object', line: '[1, 2, 3]' },
          { reason: 'not JSON', line: '\u001b[32mprogress 50%\u001b[0m' },
        ].map((fields) => expect.objectContaining({ level: 'warn', plugin: 'stdout-garbage', fields })),
      );
      expect(await eventually(() => t.events.logs.some((e) => e.message === 'console.log goes to stderr under serve()'))).toBe(true);
      expect(t.events.logs).toContainEqual({
        level: 'info',
        plugin: 'stdout-garbage',
        message: 'console.log goes to stderr under serve()',
        fields: { stream: 'stderr' },
      });
    } finally {
      await t.close();
    }
  });

  test('a message over maxMessageBytes rejects with OUTPUT_TOO_LARGE, the host restarts the plugin, and a result under the cap then arrives whole', async () => {
    const t = processHost({ driver: { maxMessageBytes: 64 * 1024 }, host: { restart: FAST_RESTART } });
    try {
      await t.host.load(fixture('huge-line'));
      const error = await rejection(t.host.callTool('huge-line', 'huge', { bytes: 200_000 }));
      expect(error).toMatchObject({
        code: 'OUTPUT_TOO_LARGE',
        plugin: 'huge-line',
        tool: 'huge',
        message: 'plugin "huge-line", tool "huge" output exceeds 65536 bytes',
        data: { limitBytes: 65_536 },
      });
      expect(error.data.bytes).toBeGreaterThan(65_536);
      const whole = await t.host.callTool('huge-line', 'huge', { bytes: 30_000 });
      expect(resultValue(whole)).toBe('x'.repeat(30_000));
      expect(t.events.crashes).toEqual([
        {
          plugin: 'huge-line',
          exit: expect.objectContaining({ reason: 'crash', message: 'plugin "huge-line" output exceeds 65536 bytes' }),
          crashes: 1,
          restartInMs: 50,
        },
      ]);
      expect(t.events.restarts).toEqual([{ plugin: 'huge-line', attempt: 1 }]);
      expect(t.host.get('huge-line')?.state).toBe('active');
    } finally {
      await t.close();
    }
  });
});

describe('crashes, restarts and timeouts through the host', () => {
  test("a crash mid-call rejects the calls in flight with CRASHED, and the host's restart policy brings the plugin back", async () => {
    const t = processHost({ host: { restart: FAST_RESTART } });
    try {
      await t.host.load(await echoOn('node'));
      const bystander = rejection(t.host.callTool('process-echo', 'sleep', { ms: 20_000 }, { timeoutMs: 25_000 }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const crash = await rejection(t.host.callTool('process-echo', 'crash'));
      expect(crash).toMatchObject({
        code: 'CRASHED',
        plugin: 'process-echo',
        tool: 'crash',
        driver: 'process',
        message: 'plugin "process-echo", tool "crash" crashed: exited unexpectedly with exit code 3',
        data: { exitCode: 3 },
      });
      expect(await bystander).toMatchObject({ code: 'CRASHED', tool: 'sleep', data: { exitCode: 3 } });
      expect(await eventually(() => t.events.restarts.length === 1)).toBe(true);
      expect(t.events.crashes).toEqual([
        { plugin: 'process-echo', exit: expect.objectContaining({ reason: 'crash', code: 3 }), crashes: 1, restartInMs: 50 },
      ]);
      expect(t.events.restarts).toEqual([{ plugin: 'process-echo', attempt: 1 }]);
      expect(resultValue(await t.host.callTool('process-echo', 'echo', { back: true }))).toEqual({ back: true });
      expect(t.host.get('process-echo')?.state).toBe('active');
      // A crash and its restart are not lifecycle transitions: the plugin stayed active throughout.
      expect(t.events.states.map((s) => s.to)).toEqual(['loaded', 'active']);
    } finally {
      await t.close();
    }
  });

  test("too many crashes within the restart window mark the plugin 'failed', stop its process and refuse further calls", async () => {
    const t = processHost({ host: { restart: { ...FAST_RESTART, maxCrashes: 3, windowMs: 60_000 } } });
    try {
      await t.host.load(await echoOn('node'));
      // Each call after a crash waits for the restart, then crashes the fresh process again.
      for (let i = 0; i < 3; i++) {
        expect(await rejection(t.host.callTool('process-echo', 'crash'))).toMatchObject({ code: 'CRASHED' });
      }
      expect(await eventually(() => t.host.get('process-echo')?.state === 'failed')).toBe(true);
      expect(t.events.crashes.map((c) => [c.crashes, c.restartInMs])).toEqual([
        [1, 50],
        [2, 50],
        [3, undefined],
      ]);
      expect(t.events.restarts).toEqual([
        { plugin: 'process-echo', attempt: 1 },
        { plugin: 'process-echo', attempt: 2 },
      ]);
      const failed = t.events.states.find((s) => s.to === 'failed');
      expect(failed).toMatchObject({ plugin: 'process-echo', from: 'active' });
      expect(failed?.error?.message).toMatch(/^plugin "process-echo" crashed: 3 crashes within 60000 ms, giving up \(last: /);
      expect(await rejection(t.host.callTool('process-echo', 'echo', {}))).toMatchObject({ code: 'NOT_ACTIVE', plugin: 'process-echo' });
      expect(await eventually(() => childProcessesMentioning(ECHO_DIR).length === 0)).toBe(true);
    } finally {
      await t.close();
    }
  });

  test('a busy-looping call past timeoutMs rejects with TIMEOUT on time, and the plugin answers the next call', async () => {
    const t = processHost();
    try {
      await t.host.load(await echoOn('node'));
      const began = performance.now();
      const error = await rejection(t.host.callTool('process-echo', 'spin', {}, { timeoutMs: 500 }));
      const took = performance.now() - began;
      expect(error).toMatchObject({
        code: 'TIMEOUT',
        plugin: 'process-echo',
        tool: 'spin',
        message: 'plugin "process-echo", tool "spin" timed out after 500 ms',
        data: { timeoutMs: 500 },
      });
      expect(took).toBeGreaterThanOrEqual(495);
      expect(took).toBeLessThan(3_000);
      expect(resultValue(await t.host.callTool('process-echo', 'echo', { after: 'spin' }, { timeoutMs: 10_000 }))).toEqual({ after: 'spin' });
      expect(t.host.get('process-echo')?.state).toBe('active');
      // The driver replaced the stuck process itself and said so; it is not a crash for the restart policy.
      expect(t.events.logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          plugin: 'process-echo',
          message: 'restarting plugin process: tool "spin" timed out after 500 ms and did not stop within 100 ms of being cancelled',
        }),
      );
      expect(t.events.crashes).toEqual([]);
    } finally {
      await t.close();
    }
  });

  test('a call that never answers and ignores cancellation times out, and the next call is served by a fresh process', async () => {
    // Compares the pids the plugin reports: only meaningful outside a pid namespace (inside, each process is pid 1).
    const t = processHost({ driver: { isolation: 'off' } });
    try {
      await t.host.load(fixture('never-answers'));
      const before = resultValue(await t.host.callTool('never-answers', 'pid')) as { pid: number };
      expect(await rejection(t.host.callTool('never-answers', 'hang', {}, { timeoutMs: 300 }))).toMatchObject({ code: 'TIMEOUT', tool: 'hang' });
      const after = resultValue(await t.host.callTool('never-answers', 'pid', {}, { timeoutMs: 10_000 })) as { pid: number };
      expect(after.pid).not.toBe(before.pid);
      expect(await eventually(() => !isAlive(before.pid))).toBe(true);
    } finally {
      await t.close();
    }
  });
});

describe('no process is left behind', () => {
  test('host.close() stops the plugin and its grandchildren, including one that ignores SIGTERM (without the OS sandbox: process groups)', async () => {
    // Follows pids the plugin reports; sandbox-process's os-sandbox tests cover the same inside a pid namespace.
    const t = processHost({ driver: { killGraceMs: 300, isolation: 'off' } });
    let pids: number[] = [];
    try {
      await t.host.load(fixture('spawn-children', { allowChildProcess: true }));
      const { plugin, children } = resultValue(await t.host.callTool('spawn-children', 'spawn')) as { plugin: number; children: number[] };
      pids = [plugin, ...children];
      expect(children).toHaveLength(2);
      expect(pids.every(isAlive)).toBe(true);
    } finally {
      await t.close();
    }
    expect(await eventually(() => pids.every((pid) => !isAlive(pid)), 8_000)).toBe(true);
  });
});

describe('many plugins through one host', () => {
  const PLUGINS = 20;
  const CALLS = 1_000;

  test('1 000 concurrent calls spread over 20 plugins loaded with loadAll are each answered exactly once, with their own result', async () => {
    const scratch = scratchDir('many');
    const t = processHost();
    try {
      const names = Array.from({ length: PLUGINS }, (_, i) => `echo-${String(i).padStart(2, '0')}`);
      for (const name of names) writeEchoPlugin(scratch.dir, name);
      const { loaded, problems } = await t.host.loadAll(scratch.dir);
      expect(problems).toEqual([]);
      expect(loaded.map((e) => e.name).sort()).toEqual(names);

      const answered = new Array<number>(CALLS).fill(0);
      const calls = Array.from({ length: CALLS }, (_, i) => {
        const plugin = names[i % PLUGINS]!;
        // Odd calls sleep a little so answers come back out of order.
        const [tool, args, expected] =
          i % 2 === 1
            ? (['sleep', { ms: i % 40 }, { slept: i % 40 }] as const)
            : (['echo', { call: i, plugin, text: `é😀${'x'.repeat(i % 97)}` }, { call: i, plugin, text: `é😀${'x'.repeat(i % 97)}` }] as const);
        const promise = t.host.callTool(plugin, tool, args, { timeoutMs: 45_000 }).finally(() => (answered[i]! += 1));
        return { expected, promise };
      });
      const results = await Promise.all(calls.map((c) => c.promise));
      expect(answered.every((n) => n === 1)).toBe(true);
      results.forEach((result, i) => expect(resultValue(result)).toEqual(calls[i]!.expected));
      // Every plugin still answers afterwards: no request id was lost or reused.
      for (const name of names) expect(resultValue(await t.host.callTool(name, 'echo', { after: name }))).toEqual({ after: name });
      expect(t.events.crashes).toEqual([]);
    } finally {
      await t.close();
      scratch.remove();
    }
  });
});

describe('permissions through the host', () => {
  const SECRET = 'clawdesk-e2e-secret-7d21b0';
  const saved = { secret: process.env.E2E_HOST_SECRET, declared: process.env.E2E_DECLARED_VAR };
  const restore = (name: string, value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  afterEach(() => {
    restore('E2E_HOST_SECRET', saved.secret);
    restore('E2E_DECLARED_VAR', saved.declared);
  });

  test.each([
    ['node', { value: ['E2E_DECLARED_VAR', 'HOME', 'NO_COLOR', 'PATH'] }, { value: null }, 'ERR_ACCESS_DENIED'],
    ['deno', { error: 'NotCapable' }, { error: 'NotCapable' }, 'NotCapable'],
  ] as const)(
    "on %s, a secret in the host's process.env does not reach the plugin, while a variable in permissions.env does",
    async (runtime, all, secret, environError) => {
      process.env.E2E_HOST_SECRET = SECRET;
      process.env.E2E_DECLARED_VAR = 'visible';
      const t = processHost();
      try {
        await t.host.load(fixture('env-read', { runtime, permissions: { env: ['E2E_DECLARED_VAR'] } }));
        const result = await t.host.callTool('env-read', 'env', { names: ['E2E_DECLARED_VAR', 'E2E_HOST_SECRET'] });
        expect(JSON.stringify(result)).not.toContain(SECRET);
        const seen = resultValue(result) as { all: { value?: Record<string, string>; error?: string }; named: unknown; parentEnviron: unknown };
        expect(seen.all.value ? { value: Object.keys(seen.all.value).sort() } : seen.all).toEqual(all);
        expect(seen.named).toEqual({ E2E_DECLARED_VAR: { value: 'visible' }, E2E_HOST_SECRET: secret });
        // The host's own environment file is out of reach too.
        expect(seen.parentEnviron).toEqual({ error: environError });
      } finally {
        await t.close();
      }
    },
  );

  test.each(['node', 'deno'] as const)(
    'on %s, reading /etc/passwd or writing outside the plugin dir rejects with PERMISSION_DENIED, nothing is written, and the plugin keeps serving',
    async (runtime) => {
      const t = processHost();
      const outside = [path.join(FIXTURES_DIR, 'fs-escape', 'escaped-by-e2e.txt'), '/tmp/clawdesk-e2e-escape.txt'];
      try {
        await t.host.load(fixture('fs-escape', { runtime }));
        const read = await rejection(t.host.callTool('fs-escape', 'read', { file: '/etc/passwd' }));
        expect(read).toMatchObject({ code: 'PERMISSION_DENIED', plugin: 'fs-escape', tool: 'read', driver: 'process' });
        expect(read.message).toMatch(/^plugin "fs-escape", tool "read" permission denied: /);
        for (const file of outside) {
          expect(await rejection(t.host.callTool('fs-escape', 'write', { file }))).toMatchObject({ code: 'PERMISSION_DENIED', tool: 'write' });
          expect(existsSync(file)).toBe(false);
        }
        const dataDir = t.host.inspect('fs-escape').dataDir;
        expect(resultValue(await t.host.callTool('fs-escape', 'writeData'))).toEqual({ wrote: path.join(dataDir, 'note.txt') });
        expect(readFileSync(path.join(dataDir, 'note.txt'), 'utf8')).toBe('mine');
        expect(t.host.get('fs-escape')?.state).toBe('active');
        expect(t.events.crashes).toEqual([]);
      } finally {
        await t.close();
        for (const file of outside) rmSync(file, { force: true });
      }
    },
  );
});

describe('runtimes through the host', () => {
  // This machine (Linux, root) has the OS sandbox: every runtime gets the same guarantees.
  const ALL = { network: 'enforced', fsRead: 'enforced', fsWrite: 'enforced', env: 'enforced', memory: 'enforced', timeout: 'enforced' };

  test.each(['node', 'bun', 'deno'] as const)('examples/process-echo on %s loads, answers a tool call and a hook, and inspect() reports what it enforces', async (runtime) => {
    const t = processHost();
    try {
      const entry = await t.host.load(await echoOn(runtime));
      expect(entry).toMatchObject({ state: 'active', driver: 'process' });
      expect(resultValue(await t.host.call('echo', { runtime, text: 'é😀' }))).toEqual({ runtime, text: 'é😀' });
      expect(await t.host.dispatch('on_test', { n: 1 })).toEqual([{ plugin: 'process-echo', ok: true, value: { got: { n: 1 } } }]);
      const inspection = t.host.inspect('process-echo');
      expect(inspection.driver).toBe('@clawdesk/sandbox-process');
      expect(inspection.enforcement).toMatchObject(ALL);
      expect(inspection.enforcement.reasons?.network).toBe('network namespace with loopback only: no network at all');
      // Nothing to warn about: the load warns only about what is not enforced.
      const warned = t.events.logs.some((e) => e.level === 'warn' && e.plugin === 'process-echo' && e.message.includes('does not fully enforce'));
      expect(warned).toBe(false);
    } finally {
      await t.close();
    }
  });
});

describe('an unmodified MCP server as a process plugin', () => {
  const saved = process.env.MEMORY_FILE_PATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.MEMORY_FILE_PATH;
    else process.env.MEMORY_FILE_PATH = saved;
  });

  test('@modelcontextprotocol/server-memory, given a five-line plugin.json5, lists its tools and answers calls through the host', async () => {
    const scratch = scratchDir('mcp');
    const t = processHost();
    try {
      // The entry must stay inside the plugin dir: a one-line module imports the installed server,
      // resolved from the repo's node_modules like any dependency of a plugin inside an app.
      writeFileSync(path.join(scratch.dir, 'server.mjs'), "import '@modelcontextprotocol/server-memory/dist/index.js';\n");
      writeFileSync(
        path.join(scratch.dir, 'plugin.json5'),
        [
          "{ name: 'memory', version: '1.0.0', author: 'modelcontextprotocol',",
          "  description: 'The MCP reference knowledge-graph server',",
          "  runtime: 'node', sandbox: 'process', entry: './server.mjs',",
          "  permissions: { env: ['MEMORY_FILE_PATH'] },",
          '}',
        ].join('\n'),
      );
      // Declared in permissions.env, so the driver passes it through; the data dir is the only place it may write.
      const file = path.join(t.dataDir, 'memory', 'memory.jsonl');
      process.env.MEMORY_FILE_PATH = file;
      const entry = await t.host.load(scratch.dir);
      expect(t.host.inspect('memory').dataDir).toBe(path.dirname(file));
      expect(entry.tools.map((tool) => tool.name)).toEqual(
        expect.arrayContaining(['create_entities', 'create_relations', 'add_observations', 'read_graph', 'search_nodes', 'open_nodes']),
      );
      const entity = { name: 'clawdesk', entityType: 'project', observations: ['runs plugins in sandboxes'] };
      const created = await t.host.callTool('memory', 'create_entities', { entities: [entity] });
      expect(created.isError).toBeFalsy();
      expect((resultValue(await t.host.call('memory.read_graph', {})) as { entities: unknown[] }).entities).toEqual([entity]);
      expect(readFileSync(file, 'utf8')).toContain('runs plugins in sandboxes');
      // The host validates arguments with the schema the server published.
      expect(await rejection(t.host.callTool('memory', 'create_entities', { entities: 'none' }))).toMatchObject({ code: 'INVALID_ARGUMENTS' });
    } finally {
      await t.close();
      scratch.remove();
    }
  });
});

describe('host functions from a process plugin', () => {
  test("ctx.browserDownload is served by the host: the plugin's download rule sends its referer to a local server and the file lands in its data dir", async () => {
    const REFERER = 'https://app.example/viewer';
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      if (req.headers.referer !== REFERER) {
        res.writeHead(403).end('no referer, no file');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('payload');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const t = processHost();
    try {
      await t.host.load(
        fixture('host-functions', {
          permissions: { network: { allowedHosts: ['127.0.0.1'] } },
          browserCdn: { downloadRules: [{ matchHosts: ['127.0.0.1'], referer: REFERER }] },
        }),
      );
      const url = `http://127.0.0.1:${port}/files/report.txt`;
      const downloaded = resultValue(await t.host.callTool('host-functions', 'download', { url })) as Record<string, unknown>;
      const dataDir = t.host.inspect('host-functions').dataDir;
      expect(downloaded).toEqual({
        path: expect.stringMatching(new RegExp(`^${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/downloads/[0-9a-f]{64}\\.txt$`)),
        bytes: 7,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        contentType: 'text/plain',
      });
      expect(readFileSync(downloaded.path as string, 'utf8')).toBe('payload');
      expect(seen.map((h) => h.referer)).toEqual([REFERER]);

      // A host outside permissions.network.allowedHosts is refused by the host before any request; the tool reports it.
      const refused = await t.host.callTool('host-functions', 'download', { url: `http://localhost:${port}/files/report.txt` });
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toContain('is not in permissions.network.allowedHosts');
      expect(seen).toHaveLength(1);
    } finally {
      await t.close();
      server.closeAllConnections();
      server.close();
    }
  });

  test("ctx.log lines from a process plugin arrive as the host's 'log' events, tagged with the plugin", async () => {
    const t = processHost();
    try {
      await t.host.load(fixture('host-functions'));
      expect(resultValue(await t.host.callTool('host-functions', 'log', { message: 'hello from the plugin' }))).toEqual({ logged: 4 });
      const lines = () => t.events.logs.filter((e) => e.message === 'hello from the plugin');
      expect(await eventually(() => lines().length === 4)).toBe(true);
      expect(lines()).toEqual(
        (['debug', 'info', 'warn', 'error'] as const).map((level) => ({ level, plugin: 'host-functions', message: 'hello from the plugin', fields: { level } })),
      );
    } finally {
      await t.close();
    }
  });
});
