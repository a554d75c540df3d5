import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { runCli } from './run-cli.js';

const env = { PATH: process.env.PATH ?? '', NO_COLOR: '1', FORCE_COLOR: '0' };

/**
 * A bare MCP stdio server that reports what the host gave it: `seen` answers its environment
 * variable PROBE_VALUE, the config from `initialize`, and the roots it gets from `roots/list`.
 */
function writeProbe(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'plugin.json5'), `{ name: 'probe', runtime: 'node', sandbox: 'process', entry: './server.mjs', capabilities: ['tool_call'] }`);
  writeFileSync(
    path.join(dir, 'server.mjs'),
    `import { createInterface } from 'node:readline';
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\\n');
let config;
const asked = new Map();
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.id !== undefined && asked.has(m.id)) { asked.get(m.id)(m.result ?? m.error); asked.delete(m.id); return; }
  if (m.method === 'initialize') {
    config = m.params.capabilities.experimental?.clawdesk?.config;
    return send({ id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'probe', version: '0' } } });
  }
  if (m.method === 'tools/list') return send({ id: m.id, result: { tools: [{ name: 'seen', description: 'what the host gave', inputSchema: { type: 'object' } }] } });
  if (m.method === 'tools/call') {
    const id = 'roots-' + m.id;
    asked.set(id, (roots) => {
      const value = { env: process.env.PROBE_VALUE ?? null, config, roots: roots.roots?.map((r) => r.uri) ?? roots };
      send({ id: m.id, result: { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value } });
    });
    return send({ id, method: 'roots/list', params: {} });
  }
  if (m.id !== undefined) send({ id: m.id, result: {} });
});
`,
  );
}

describe('the host config file', () => {
  let root: string;
  let probe: string;
  let shared: string;
  beforeAll(() => {
    root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'clawdesk-config-')));
    probe = path.join(root, 'plugins', 'probe');
    writeProbe(probe);
    shared = path.join(root, 'shared');
    mkdirSync(shared);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const writeConfig = (file: string, text: string) => {
    writeFileSync(file, text);
    return file;
  };

  test('--config gives a plugin its config, env values (from ${env:…}) and a grant outside its dir, answered as roots', async () => {
    const file = writeConfig(
      path.join(root, 'ops.json5'),
      `// operator settings
{ plugins: { probe: {
  config: { greeting: 'hi' },
  env: { PROBE_VALUE: '\${env:PROBE_SECRET}' },
  permissions: { fs: { read: [${JSON.stringify(shared)}] } },
} } }`,
    );
    const run = await runCli(['call', probe, 'seen', '--json', '--config', file], { env: { ...env, PROBE_SECRET: 'from-the-environment' } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).structuredContent).toEqual({ env: 'from-the-environment', config: { greeting: 'hi' }, roots: [pathToFileURL(shared).href] });
  });

  test('without --config, ./clawdesk.config.json5 of the working directory is read', async () => {
    writeConfig(path.join(root, 'clawdesk.config.json5'), `{ plugins: { probe: { env: { PROBE_VALUE: 'from-cwd' } } } }`);
    try {
      const run = await runCli(['call', 'probe', 'seen', '--json'], { cwd: root, env });
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).structuredContent).toMatchObject({ env: 'from-cwd', roots: [] });
    } finally {
      rmSync(path.join(root, 'clawdesk.config.json5'));
    }
  });

  test.each([
    ['an unknown key', `{ plugins: { probe: { secrets: {} } } }`, /"plugins\.probe\.secrets" must be absent/],
    ['an fs grant that is not a list', `{ plugins: { probe: { permissions: { fs: { read: '/etc' } } } } }`, /"plugins\.probe\.permissions\.fs\.read" must be an array/],
    ['an unset ${env:…}', `{ plugins: { probe: { headers: { Authorization: 'Bearer \${env:NOT_SET_ANYWHERE}' } } } }`, /NOT_SET_ANYWHERE is not set/],
    ['text that is not JSON5', `{ plugins: `, /not valid JSON5/],
  ])('%s is CONFIG_INVALID, naming the file and the field', async (_what, text, message) => {
    const file = writeConfig(path.join(root, 'bad.json5'), text);
    const run = await runCli(['call', probe, 'seen', '--json', '--config', file], { env });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error.code).toBe('CONFIG_INVALID');
    expect(run.stderr).toContain(file);
    expect(run.stderr).toMatch(message);
  });

  test('a --config file that does not exist is an error, not silently ignored', async () => {
    const run = await runCli(['call', probe, 'seen', '--config', path.join(root, 'missing.json5')], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot read the config file/);
  });
});

describe('a remote plugin run by the CLI', () => {
  let root: string;
  let server: Server;
  let url: string;
  const seen: (string | undefined)[] = [];
  beforeAll(async () => {
    root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'clawdesk-remote-cli-')));
    // The SDK's Streamable HTTP server, stateless, refusing requests without the operator's token.
    server = createServer(async (req, res) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== 'Bearer remote-token-123') return void res.writeHead(401).end();
      const mcp = new McpServer({ name: 'remote', version: '1.0.0' });
      mcp.registerTool('hello', { description: 'Says hello' }, async () => ({ content: [{ type: 'text', text: 'hello from afar' }] }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close());
      await mcp.connect(transport);
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    const dir = path.join(root, 'far');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'plugin.json5'), JSON.stringify({ name: 'far', sandbox: 'remote', url, permissions: { network: { allowedHosts: [new URL(url).host] } } }));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  test('its headers come from the config file, and its tools answer through `call`', async () => {
    const file = path.join(root, 'clawdesk.config.json5');
    writeFileSync(file, `{ plugins: { far: { headers: { Authorization: 'Bearer \${env:FAR_TOKEN}' } } } }`);
    const run = await runCli(['call', path.join(root, 'far'), 'hello', '--config', file], { env: { ...env, FAR_TOKEN: 'remote-token-123' } });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('hello from afar');
    expect(run.code).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((h) => h === 'Bearer remote-token-123')).toBe(true);
  });

  test('without the header the server refuses, and the CLI says which plugin and url', async () => {
    const run = await runCli(['call', path.join(root, 'far'), 'hello', '--json'], { cwd: os.tmpdir(), env });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: 'LOAD_FAILED', plugin: 'far' });
    expect(run.stderr).toContain(url);
  });
});
