import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.resolve(PACKAGE_DIR, '../../node_modules/.bin');

const RUNTIMES: Record<string, (file: string) => [string, string[]]> = {
  node: (file) => [process.execPath, [file]],
  bun: (file) => [path.join(BIN, 'bun'), [file]],
  deno: (file) => [path.join(BIN, 'deno'), ['run', '--no-prompt', '--no-lock', file]],
};

// The zod-free subpath plugins should use, and the root entry that still exports serve().
const ENTRIES = ['@clawdesk/plugin-sdk/serve', '@clawdesk/plugin-sdk'];

// A plugin as an author writes it, importing the built package by name; its tool chats on console.log.
const plugin = (entry: string) => `
import { serve } from '${entry}';
serve({
  name: 'runtime-check',
  tools: {
    echo: { description: 'echo', run: (args) => { console.log('chatty', args); console.info('more'); return args; } },
  },
});
`;

// A tool that ends the process a few microtasks after another call was answered, before serve() wrote that answer out.
const exiting = (entry: string) => `
import { serve } from '${entry}';
serve({
  name: 'exit-check',
  tools: {
    echo: { description: 'echo', run: (args) => args },
    exit: { description: 'exits', run: async () => { for (let i = 0; i < 10; i++) await null; process.exit(3); } },
  },
});
`;

/** Runs the plugin on `runtime`, sends `requests`, closes stdin, and returns stdout lines and the exit code. */
function exchange(runtime: string, file: string, requests: object[]): Promise<{ lines: string[]; stderr: string; code: number | null }> {
  const [command, args] = RUNTIMES[runtime]!(file);
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', HOME: path.dirname(file), NO_COLOR: '1', FORCE_COLOR: '0', DENO_NO_UPDATE_CHECK: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    // Close stdin once every request is answered: serve() must then exit by itself.
    const expected = requests.filter((r) => 'id' in r).length;
    if (stdout.split('\n').filter((l) => l.includes('"id"')).length >= expected) child.stdin.end();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // One write: the requests reach serve() in one chunk, as a busy host sends them.
  child.stdin.write(requests.map((r) => `${JSON.stringify({ jsonrpc: '2.0', ...r })}\n`).join(''));
  return new Promise((resolve) => child.on('close', (code) => resolve({ lines: stdout.split('\n').filter(Boolean), stderr, code })));
}

describe.each(Object.keys(RUNTIMES).flatMap((runtime) => ENTRIES.map((entry) => [runtime, entry] as const)))('serve() on %s from %s', (runtime, entry) => {
  let dir: string;
  beforeAll(() => {
    // A plugin project of its own: package.json (Deno needs one to resolve bare imports) and the SDK in node_modules.
    dir = mkdtempSync(path.join(tmpdir(), 'clawdesk-serve-'));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    mkdirSync(path.join(dir, 'node_modules', '@clawdesk'), { recursive: true });
    symlinkSync(PACKAGE_DIR, path.join(dir, 'node_modules', '@clawdesk', 'plugin-sdk'));
    writeFileSync(path.join(dir, 'plugin.mjs'), plugin(entry));
    writeFileSync(path.join(dir, 'exiting.mjs'), exiting(entry));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('answers the MCP handshake and a call, keeps console output off stdout, and exits when stdin closes', async () => {
    const { lines, stderr, code } = await exchange(runtime, path.join(dir, 'plugin.mjs'), [
      { id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {} } },
      { method: 'notifications/initialized' },
      { id: 2, method: 'tools/list' },
      { id: 3, method: 'tools/call', params: { name: 'echo', arguments: { text: 'héllo 😀' } } },
    ]);
    const messages = lines.map((l) => JSON.parse(l));
    expect(messages.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(messages[0].result.serverInfo.name).toBe('runtime-check');
    expect(messages[1].result.tools.map((t: { name: string }) => t.name)).toEqual(['echo']);
    expect(messages[2].result.structuredContent).toEqual({ text: 'héllo 😀' });
    expect(stderr).toContain('chatty');
    expect(stderr).toContain('more');
    expect(code).toBe(0);
  }, 20_000);

  test('an answer made in the same tick as a tool that exits the process still reaches the host', async () => {
    const { lines, code } = await exchange(runtime, path.join(dir, 'exiting.mjs'), [
      { id: 1, method: 'tools/call', params: { name: 'echo', arguments: { n: 1 } } },
      { id: 2, method: 'tools/call', params: { name: 'exit', arguments: {} } },
    ]);
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: '{"n":1}' }], structuredContent: { n: 1 } } }]);
    expect(code).toBe(3);
  }, 20_000);
});
