import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runCli } from './run-cli.js';

const env = { PATH: process.env.PATH ?? '', NO_COLOR: '1', FORCE_COLOR: '0', HOME: os.tmpdir() };

/** An MCP stdio server package as npm would publish it: a `bin`, no clawdesk manifest. `argv` answers its arguments. */
const SERVER = `#!/usr/bin/env node
import { createInterface } from 'node:readline';
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.method === 'initialize') send({ id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'argv-server', version: '1.0.0' } } });
  else if (m.method === 'tools/list') send({ id: m.id, result: { tools: [{ name: 'argv', description: 'its command-line arguments', inputSchema: { type: 'object' } }] } });
  else if (m.method === 'tools/call') send({ id: m.id, result: { content: [{ type: 'text', text: JSON.stringify(process.argv.slice(2)) }] } });
  else if (m.id !== undefined) send({ id: m.id, result: {} });
});
`;

describe('clawdesk install --mcp', () => {
  let root: string;
  let tgz: string;
  beforeAll(async () => {
    root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'clawdesk-install-mcp-')));
    const src = path.join(root, 'src');
    mkdirSync(path.join(src, 'dist'), { recursive: true });
    writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: '@example/server-argv', version: '1.2.3', description: 'reports its argv', type: 'module', bin: { 'mcp-server-argv': 'dist/index.js' } }));
    writeFileSync(path.join(src, 'dist/index.js'), SERVER);
    const { stdout } = await promisify(execFile)('npm', ['pack', src, '--pack-destination', root, '--json', '--silent'], {
      cwd: root,
      env: { ...process.env, npm_config_cache: path.join(root, '.npm'), npm_config_update_notifier: 'false' },
      timeout: 30_000,
    });
    tgz = path.join(root, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('writes plugin.json5 from the package bin, with the arguments after --, and the server answers', async () => {
    const plugins = path.join(root, 'plugins');
    const installed = await runCli(['install', `file:${tgz}`, '--mcp', '--name', 'argv', '--dir', plugins, '--json', '--', '--root', '${dataDir}', 'two words'], { env, cwd: root });
    expect(installed.code).toBe(0);
    expect(JSON.parse(installed.stdout)).toMatchObject({ name: 'argv', version: '1.2.3', sandbox: 'process', state: 'active', tools: ['argv'] });
    const written = readFileSync(path.join(JSON.parse(installed.stdout).dir, 'plugin.json5'), 'utf8');
    expect(written).toMatch(/^\/\/ Written by clawdesk install --mcp/);

    const dataDir = path.join(root, 'data');
    const called = await runCli(['call', 'argv', 'argv', '--dir', plugins, '--data-dir', dataDir], { env, cwd: root });
    expect(called.code).toBe(0);
    expect(JSON.parse(called.stdout)).toEqual(['--root', path.join(dataDir, 'argv'), 'two words']);
  });

  test('without --mcp such a package is refused, and the error says --mcp', async () => {
    const run = await runCli(['install', `file:${tgz}`, '--dir', path.join(root, 'other'), '--json'], { env, cwd: root });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error.code).toBe('NO_MANIFEST');
    expect(run.stderr).toContain('--mcp');
  });

  test('server arguments without --mcp are a usage error', async () => {
    const run = await runCli(['install', `file:${tgz}`, '--', 'x'], { env, cwd: root });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('need --mcp');
  });
});
