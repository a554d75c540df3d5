import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { validateManifest, type PluginManifest } from '@clawdesk/manifest';
import { resultValue, type PluginDescription } from '@clawdesk/sandbox';
import { createTestContext } from '@clawdesk/sandbox/conformance';
import { createProcessDriver } from '../src/driver.js';
import { fixtureManifest, opts, REPO_ROOT } from './support/plugins.js';

// Unmodified MCP reference servers (devDependencies of this package), run as process plugins.
const serverDir = (name: string) => path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol', name);

function serverManifest(name: string, doc: Record<string, unknown> = {}): PluginManifest {
  const dir = serverDir(`server-${name}`);
  return validateManifest(
    { name, runtime: 'node', sandbox: 'process', entry: './dist/index.js', capabilities: ['tool_call'], ...doc },
    { file: path.join(dir, 'plugin.json5'), format: 'json5', dir },
  );
}

const text = (r: { content: unknown[] }) => (r.content as { text?: string }[]).map((c) => c.text ?? '').join('\n');

describe('@modelcontextprotocol/server-filesystem as a process plugin', () => {
  let shared: string;
  let outside: string;
  beforeAll(() => {
    shared = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-shared-'));
    writeFileSync(path.join(shared, 'hello.txt'), 'hello from the shared dir\n');
    mkdirSync(path.join(shared, 'notes'));
    outside = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-outside-'));
    writeFileSync(path.join(outside, 'secret.txt'), 'not for the plugin\n');
  });
  afterAll(() => {
    rmSync(shared, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  test('given a directory by the operator (grant + args), it lists and reads it and is refused outside it', async () => {
    // The manifest passes the directory on argv; the operator grants it (absolute, outside the plugin dir).
    const m = serverManifest('filesystem', { args: [shared] });
    const driver = createProcessDriver({ permissions: { filesystem: { fs: { read: [shared] } } } });
    const ctx = createTestContext(m);
    const instance = await driver.instantiate(m, ctx);
    try {
      const { tools } = await instance.describe();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['list_directory', 'read_text_file', 'list_allowed_directories']));

      const listing = await instance.callTool('list_directory', { path: shared }, opts());
      expect(listing.isError).toBeFalsy();
      expect(text(listing)).toContain('[FILE] hello.txt');
      expect(text(listing)).toContain('[DIR] notes');

      const read = await instance.callTool('read_text_file', { path: path.join(shared, 'hello.txt') }, opts());
      expect(text(read)).toBe('hello from the shared dir\n');

      const refused = await instance.callTool('read_text_file', { path: path.join(outside, 'secret.txt') }, opts());
      expect(refused.isError).toBe(true);
      expect(text(refused)).toMatch(/Access denied - path outside allowed directories/);
      expect(text(refused)).not.toContain('not for the plugin');
    } finally {
      await instance.dispose();
      ctx.cleanup();
    }
  });

  test('the host answers roots/list with the granted directories, which the server then serves', async () => {
    // No args at all: server-filesystem takes its directories from roots/list when the client offers roots.
    const m = serverManifest('filesystem');
    const driver = createProcessDriver({ permissions: { filesystem: { fs: { read: [shared] } } } });
    const ctx = createTestContext(m);
    const instance = await driver.instantiate(m, ctx);
    try {
      // It asks for roots after the handshake; list until it has taken them.
      let allowed = '';
      for (let i = 0; i < 200 && !allowed.includes(shared); i++) {
        allowed = text(await instance.callTool('list_allowed_directories', {}, opts()));
        if (!allowed.includes(shared)) await new Promise((r) => setTimeout(r, 10));
      }
      expect(allowed).toContain(shared);
      const read = await instance.callTool('read_text_file', { path: path.join(shared, 'hello.txt') }, opts());
      expect(text(read)).toBe('hello from the shared dir\n');
    } finally {
      await instance.dispose();
      ctx.cleanup();
    }
  });

  test('operator env values reach the process', async () => {
    // server-everything's get-env tool reports its environment: an honest witness of what the driver set.
    const m = serverManifest('everything');
    const driver = createProcessDriver({ env: { everything: { EVERYTHING_API_KEY: 'k-123' } } });
    const ctx = createTestContext(m);
    const instance = await driver.instantiate(m, ctx);
    try {
      const env = JSON.parse(text(await instance.callTool('get-env', {}, opts()))) as Record<string, string>;
      expect(env.EVERYTHING_API_KEY).toBe('k-123');
      expect(env.HOME).toBe(ctx.dataDir);
    } finally {
      await instance.dispose();
      ctx.cleanup();
    }
  });
});

describe('what a server asks of the host', () => {
  const m = fixtureManifest('mcp-asker', { args: ['--dir=${dataDir}', '${pluginDir}/x', '${other}', 'two words'] });
  let ctx: ReturnType<typeof createTestContext>;
  let instance: Awaited<ReturnType<ReturnType<typeof createProcessDriver>['instantiate']>>;
  const shared = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-asker-'));
  beforeAll(async () => {
    ctx = createTestContext(m);
    instance = await createProcessDriver({ permissions: { 'mcp-asker': { fs: { read: [shared], write: [shared] } } } }).instantiate(m, ctx);
  });
  afterAll(async () => {
    await instance?.dispose();
    ctx?.cleanup();
    rmSync(shared, { recursive: true, force: true });
  });
  const ask = async (method: string) => (resultValue(await instance.callTool('ask', { method }, opts())) as { value: unknown }).value;

  test('args follow the entry, ${pluginDir} and ${dataDir} expanded, each one argv entry', async () => {
    const argv = (resultValue(await instance.callTool('argv', {}, opts())) as { value: unknown }).value;
    expect(argv).toEqual([`--dir=${ctx.dataDir}`, `${m.dir}/x`, '${other}', 'two words']);
  });

  test('tool outputSchema is kept, whether or not the manifest declares the tool', async () => {
    const output = { type: 'object', properties: { value: {} }, required: ['value'] };
    expect((await instance.describe()).tools.map((t) => t.outputSchema)).toEqual([output, output]);
    const declared = fixtureManifest('mcp-asker', { tools: [{ name: 'argv', description: 'declared without schemas' }] });
    const other = createTestContext(declared);
    const again = await createProcessDriver().instantiate(declared, other);
    try {
      expect((await again.describe()).tools).toEqual([{ name: 'argv', description: 'declared without schemas', inputSchema: { type: 'object' }, outputSchema: output }]);
    } finally {
      await again.dispose();
      other.cleanup();
    }
  });

  test('roots/list answers the granted directories as file:// URIs, once each', async () => {
    expect(await ask('roots/list')).toEqual({ result: { roots: [{ uri: pathToFileURL(realpathSync(shared)).href, name: path.basename(shared) }] } });
  });

  test.each(['sampling/createMessage', 'elicitation/create', 'made/up'])('%s gets a method-not-found error at once', async (method) => {
    expect(await ask(method)).toEqual({ error: { code: -32601, message: `method not found: ${method} (this host does not serve it)` } });
  });
});

describe('@modelcontextprotocol/server-everything as a process plugin', () => {
  test('tools it adds after the handshake (tools/list_changed) are listed again and announced', async () => {
    const m = serverManifest('everything');
    const shared = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-roots-'));
    const ctx = createTestContext(m);
    const instance = await createProcessDriver({ permissions: { everything: { fs: { read: [shared] } } } }).instantiate(m, ctx);
    try {
      const echo = await instance.callTool('echo', { message: 'hi' }, opts());
      expect(text(echo)).toBe('Echo: hi');
      // get-roots-list is registered once the server has seen the client's roots capability.
      const announced = new Promise<PluginDescription>((resolve) => {
        const off = instance.onDescriptionChange((d) => {
          if (d.tools.some((t) => t.name === 'get-roots-list')) {
            off();
            resolve(d);
          }
        });
      });
      const already = (await instance.describe()).tools.some((t) => t.name === 'get-roots-list');
      if (!already) await announced;
      const roots = await instance.callTool('get-roots-list', {}, opts());
      expect(text(roots)).toContain(pathToFileURL(shared).href);
    } finally {
      await instance.dispose();
      ctx.cleanup();
      rmSync(shared, { recursive: true, force: true });
    }
  });
});
