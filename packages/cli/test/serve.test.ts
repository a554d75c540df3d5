import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { CLI, EXAMPLES, runCli } from './run-cli.js';

const env = { PATH: process.env.PATH ?? '', FORCE_COLOR: '0', NO_COLOR: '1' };
const text = (r: object) => (((r as { content?: unknown }).content ?? []) as { text?: string }[]).map((c) => c.text ?? '').join('');

describe('clawdesk serve over stdio', () => {
  test('an MCP SDK client starts the CLI, lists the tools and calls a native, a process and a wasm tool', async () => {
    const client = new Client({ name: 'test', version: '1.0.0' });
    const dirs = ['native-echo', 'process-echo', 'weather-wasm'].map((n) => path.join(EXAMPLES, n));
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve', ...dirs], env, stderr: 'pipe' });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['native-echo__echo', 'process-echo__echo', 'weather-wasm__forecast']));
      expect((await client.callTool({ name: 'native-echo__echo', arguments: { a: 1 } })).structuredContent).toEqual({ a: 1 });
      expect(JSON.parse(text(await client.callTool({ name: 'process-echo__echo', arguments: { b: 2 } })))).toEqual({ b: 2 });
      const wasm = await client.callTool({ name: 'weather-wasm__forecast', arguments: { city: 'Lima' } });
      expect(wasm.isError).toBeFalsy();
      expect(JSON.stringify(wasm.content)).toContain('Lima');
    } finally {
      await client.close();
    }
  });
});

/** A bare MCP stdio server offering exactly `tools`, each answering its own name. */
function writeServer(dir: string, tools: string[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'plugin.json5'), `{ name: 'live', runtime: 'node', sandbox: 'process', entry: './server.mjs', capabilities: ['tool_call'] }`);
  writeFileSync(
    path.join(dir, 'server.mjs'),
    `import { createInterface } from 'node:readline';
const TOOLS = ${JSON.stringify(tools)};
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.method === 'initialize') send({ id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'live', version: '0' } } });
  else if (m.method === 'tools/list') send({ id: m.id, result: { tools: TOOLS.map((name) => ({ name, inputSchema: { type: 'object' } })) } });
  else if (m.method === 'tools/call') send({ id: m.id, result: { content: [{ type: 'text', text: m.params.name }] } });
  else if (m.id !== undefined) send({ id: m.id, result: {} });
});
`,
  );
}

/** Starts `clawdesk <args>` and resolves with the URL once it printed `listening on <url>` on stderr. */
function startServing(args: string[]): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d;
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url) resolve({ child, url, stderr: () => stderr });
    });
    child.on('close', (code) => reject(new Error(`clawdesk exited (${code}) before listening:\n${stderr}`)));
  });
}

describe('clawdesk serve --http', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-serve-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('on a free port of 127.0.0.1: calls a native, a wasm and a process tool, and with --watch a hot reload reaches the client as tools/list_changed', async () => {
    const plugins = path.join(root, 'plugins');
    writeServer(path.join(plugins, 'live'), ['before']);
    const dirs = [path.join(EXAMPLES, 'native-echo'), path.join(EXAMPLES, 'weather-wasm'), plugins];
    const { child, url, stderr } = await startServing(['serve', ...dirs, '--http', '0', '--watch', '--data-dir', path.join(root, 'data')]);
    const client = new Client({ name: 'test', version: '1.0.0' });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      expect(stderr()).toContain(`not watched (a plugin, not a directory of plugins): ${dirs[0]}`);
      let changes = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changes++);
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['native-echo__echo', 'weather-wasm__forecast', 'live__before']));
      expect((await client.callTool({ name: 'native-echo__echo', arguments: { over: 'http' } })).structuredContent).toEqual({ over: 'http' });
      expect(JSON.stringify((await client.callTool({ name: 'weather-wasm__forecast', arguments: { city: 'Oslo' } })).content)).toContain('Oslo');
      expect(text(await client.callTool({ name: 'live__before', arguments: {} }))).toBe('before');

      writeServer(path.join(plugins, 'live'), ['after']);
      // The reload happens after the watcher's debounce; the client learns of it from the server.
      while (!(changes > 0 && (await client.listTools()).tools.some((t) => t.name === 'live__after'))) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const after = (await client.listTools()).tools.map((t) => t.name);
      expect(after).toContain('live__after');
      expect(after).not.toContain('live__before');
      expect(text(await client.callTool({ name: 'live__after', arguments: {} }))).toBe('after');
      expect(stderr()).toContain('live reloaded');
    } finally {
      await client.close();
      const exited = new Promise((r) => child.on('close', r));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  });

  test('refuses to listen beyond loopback without a token', async () => {
    const run = await runCli(['serve', path.join(EXAMPLES, 'native-echo'), '--http', '0', '--host', '0.0.0.0'], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/0\.0\.0\.0/);
    expect(run.stderr).toMatch(/CLAWDESK_MCP_TOKEN|token/i);
  });

  test('--watch with nothing but plugin dirs is a usage error naming the dir to pass', async () => {
    const dir = path.join(EXAMPLES, 'native-echo');
    const run = await runCli(['serve', dir, '--watch'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`pass the directory holding one (${EXAMPLES})`);
  });
});
