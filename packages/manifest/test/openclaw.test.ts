import fs from 'node:fs/promises';
import path from 'node:path';
import { loadManifest, OPENCLAW_MANIFEST_FILE, parseManifest, serializeManifest } from '../src/index.js';
import { catchManifestError, cleanupTestdirs, FIXTURES, rejectsManifestError, testdir } from './helpers.js';

afterEach(cleanupTestdirs);

const openclaw = (text: string, packageJson?: unknown) =>
  parseManifest(text, { file: '/p/openclaw.plugin.json', format: 'openclaw', packageJson });

describe('published OpenClaw packages', () => {
  test('@ollama/openclaw-web-search: id, display name, version and entry from package.json', async () => {
    const dir = path.join(FIXTURES, 'ollama-openclaw-web-search');
    const m = await loadManifest(dir);
    expect(m).toEqual({
      name: 'openclaw-web-search',
      displayName: 'Ollama Web Search',
      version: '0.2.2',
      description: 'Web search and fetch via local ollama server',
      author: '',
      runtime: 'node',
      sandbox: 'process',
      args: [],
      entry: './index.ts',
      capabilities: [],
      channels: [],
      slots: [],
      hooks: [],
      tools: [],
      minCallIntervalMs: 0,
      timeoutMs: 30000,
      browserCdn: { downloadRules: [] },
      permissions: { network: { allowedHosts: [] }, fs: { read: [], write: [] }, env: [], memoryMb: 128 },
      configSchema: { type: 'object', additionalProperties: false, properties: {} },
      extra: {},
      dir,
      manifestFile: path.join(dir, OPENCLAW_MANIFEST_FILE),
      format: 'openclaw',
      warnings: [],
    });
  });

  test('@happycastle/oh-my-openclaw: own version, entry without "./", skills and uiHints kept in extra', async () => {
    const dir = path.join(FIXTURES, 'oh-my-openclaw');
    const m = await loadManifest(dir);
    const published = JSON.parse(await fs.readFile(path.join(dir, OPENCLAW_MANIFEST_FILE), 'utf8')) as Record<string, unknown>;
    expect(m.name).toBe('oh-my-openclaw');
    expect(m.displayName).toBe('Oh-My-OpenClaw');
    expect(m.version).toBe('0.21.3');
    expect(m.entry).toBe('dist/index.js');
    expect(m.configSchema).toEqual(published['configSchema']);
    expect(m.extra).toEqual({ skills: ['skills'], uiHints: published['uiHints'] });
  });

  test.each(['ollama-openclaw-web-search', 'oh-my-openclaw'])('%s converts to plugin.json5 and reads back the same', async (name) => {
    const m = await loadManifest(path.join(FIXTURES, name));
    const { warnings: _, ...manifest } = m;
    const back = parseManifest(serializeManifest(m), { file: m.manifestFile, format: 'json5', dir: m.dir });
    expect(back).toEqual({ ...manifest, format: 'json5' });
  });
});

describe('openclaw.plugin.json mapping', () => {
  test('kind "memory" fills the memory slot; "context-engine" the context_engine slot', () => {
    expect(openclaw('{ "id": "m", "kind": "memory" }').slots).toEqual(['memory']);
    expect(openclaw('{ "id": "m", "kind": ["memory", "context-engine"], "slots": ["memory"] }').slots).toEqual(['memory', 'context_engine']);
    expect(openclaw('{ "id": "m", "kind": "memory" }').extra).toEqual({});
  });

  test('an unknown kind stays in extra and fills no slot', () => {
    const m = openclaw('{ "id": "m", "kind": "provider" }');
    expect(m.slots).toEqual([]);
    expect(m.extra).toEqual({ kind: 'provider' });
  });

  test('channels are typed; channelConfigs, contracts, activation, setup stay in extra', () => {
    const m = openclaw(
      JSON.stringify({
        id: 'chat',
        channels: ['matrix'],
        channelConfigs: { matrix: { schema: {} } },
        contracts: { tools: ['send', 'read'] },
        activation: { onStartup: true },
        setup: { providers: [] },
      }),
    );
    expect(m.channels).toEqual(['matrix']);
    expect(m.capabilities).toEqual(['channel_adapter']);
    expect(m.tools).toEqual([]);
    expect(m.extra).toEqual({
      channelConfigs: { matrix: { schema: {} } },
      contracts: { tools: ['send', 'read'] },
      activation: { onStartup: true },
      setup: { providers: [] },
    });
  });

  test("a stale manifest version gives way to package.json's (what npm installed); the manifest's own entry still wins", () => {
    const m = openclaw('{ "id": "x", "version": "1.0.0", "entry": "./main.js" }', { version: '9.9.9', openclaw: { extensions: ['./other.js'] } });
    expect([m.version, m.entry]).toEqual(['9.9.9', './main.js']);
  });

  test("without a package.json version, the manifest's own version counts", () => {
    const m = openclaw('{ "id": "x", "version": "1.0.0" }', { name: 'x' });
    expect(m.version).toBe('1.0.0');
  });

  test('no package.json: version 0.0.0 and the default entry', () => {
    const m = openclaw('{ "id": "x" }');
    expect([m.version, m.entry]).toEqual(['0.0.0', './dist/index.js']);
  });

  test('JSON5 is accepted, as OpenClaw does', () => {
    expect(openclaw('{ id: "x", // comment\n }').name).toBe('x');
  });

  test('problems point at the fields the author wrote', () => {
    const error = catchManifestError(() =>
      openclaw('{ "id": "bad id", "name": 3 }', { version: 'latest', openclaw: { extensions: ['../outside.js'] } }),
    );
    expect(error.code).toBe('MANIFEST_ENTRY_ESCAPE');
    expect(error.problems).toEqual([
      { path: 'id', message: 'must be letters, digits, ".", "_" or "-", starting with a letter or digit; got "bad id"' },
      { path: 'name', message: 'expected a string, got number 3' },
      { path: 'package.json:version', message: 'must be a semver version like "1.2.3", got "latest"' },
      { path: 'package.json:openclaw.extensions[0]', message: 'must stay inside the plugin directory, but "../outside.js" climbs out with ".."' },
    ]);
  });

  test('a broken sibling package.json is MANIFEST_SYNTAX naming package.json', async () => {
    const dir = await testdir({ [OPENCLAW_MANIFEST_FILE]: '{ "id": "x" }', 'package.json': '{ "version": ' });
    const error = await rejectsManifestError(loadManifest(dir), 'MANIFEST_SYNTAX');
    expect(error.file).toBe(path.join(dir, 'package.json'));
  });
});
