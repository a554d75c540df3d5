import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadManifest, MANIFEST_FILE, MAX_MANIFEST_BYTES, OPENCLAW_MANIFEST_FILE } from '../src/index.js';
import { cleanupTestdirs, rejectsManifestError, testdir } from './helpers.js';

afterEach(cleanupTestdirs);

// Ported from the rsclaw manifest parser (seeds/003): parse_json5_manifest, parse_legacy_manifest,
// json5_takes_priority_over_legacy, parse_minimal_manifest. scan_plugins_dir is in scan.test.ts.
describe('rsclaw seed', () => {
  test('parses a json5 manifest', async () => {
    const dir = await testdir({
      [MANIFEST_FILE]: `{
  name: "test-wasm",
  version: "2.0.0",
  description: "A WASM plugin",
  runtime: "wasm",
  entry: "./plugin.wasm",
  tools: [
    {
      name: "do_thing",
      description: "Does things",
      inputSchema: { type: "object" }
    }
  ]
}`,
    });
    const m = await loadManifest(dir);
    expect(m.name).toBe('test-wasm');
    expect(m.version).toBe('2.0.0');
    expect(m.runtime).toBe('wasm');
    expect(m.sandbox).toBe('wasm');
    expect(m.tools).toEqual([{ name: 'do_thing', description: 'Does things', inputSchema: { type: 'object' } }]);
    expect(m.format).toBe('json5');
    expect(m.dir).toBe(dir);
    expect(m.manifestFile).toBe(path.join(dir, MANIFEST_FILE));
  });

  test('parses a legacy openclaw.plugin.json whose name is the identifier', async () => {
    const dir = await testdir({ [OPENCLAW_MANIFEST_FILE]: '{"name": "legacy", "entry": "./index.js"}' });
    const m = await loadManifest(dir);
    expect(m.name).toBe('legacy');
    expect(m.displayName).toBeUndefined();
    expect(m.runtime).toBe('node');
    expect(m.sandbox).toBe('process');
    expect(m.entry).toBe('./index.js');
    expect(m.format).toBe('openclaw');
  });

  test('plugin.json5 takes priority over openclaw.plugin.json, with a warning naming the ignored file', async () => {
    const dir = await testdir({
      [MANIFEST_FILE]: '{ name: "native", entry: "./plugin.wasm", runtime: "wasm" }',
      [OPENCLAW_MANIFEST_FILE]: '{"name": "legacy", "entry": "./index.js"}',
    });
    const logged: string[] = [];
    const m = await loadManifest(dir, { logger: { warn: (message) => logged.push(message) } });
    expect(m.name).toBe('native');
    expect(m.runtime).toBe('wasm');
    const expected = `${path.join(dir, OPENCLAW_MANIFEST_FILE)} ignored: ${MANIFEST_FILE} takes precedence`;
    expect(m.warnings).toEqual([expected]);
    expect(logged).toEqual([expected]);
  });

  test('parses a minimal manifest with every default filled in', async () => {
    const dir = await testdir({ [MANIFEST_FILE]: '{ name: "minimal", entry: "./main.js" }' });
    const m = await loadManifest(dir);
    expect(m).toEqual({
      name: 'minimal',
      version: '0.0.0',
      description: '',
      author: '',
      runtime: 'node',
      sandbox: 'process',
      entry: './main.js',
      args: [],
      capabilities: [],
      channels: [],
      slots: [],
      hooks: [],
      tools: [],
      minCallIntervalMs: 0,
      timeoutMs: 30000,
      browserCdn: { downloadRules: [] },
      permissions: { network: { allowedHosts: [] }, fs: { read: [], write: [] }, env: [], memoryMb: 128 },
      extra: {},
      dir,
      manifestFile: path.join(dir, MANIFEST_FILE),
      format: 'json5',
      warnings: [],
    });
  });
});

describe('loadManifest', () => {
  test('a directory without a manifest is MANIFEST_NOT_FOUND naming both file names', async () => {
    const dir = await testdir({ 'package.json': '{}' });
    const error = await rejectsManifestError(loadManifest(dir), 'MANIFEST_NOT_FOUND');
    expect(error.file).toBe(dir);
    expect(error.problems).toEqual([{ path: '', message: 'expected plugin.json5 or openclaw.plugin.json' }]);
    expect(error.message).toContain('plugin.json5');
    expect(error.message).toContain('openclaw.plugin.json');
  });

  test('a directory that does not exist is MANIFEST_NOT_FOUND', async () => {
    const dir = path.join(await testdir(), 'nope');
    await rejectsManifestError(loadManifest(dir), 'MANIFEST_NOT_FOUND');
  });

  test('a relative dir is resolved to an absolute one', async () => {
    const dir = await testdir({ [MANIFEST_FILE]: '{ name: "rel" }' });
    const m = await loadManifest(path.relative(process.cwd(), dir));
    expect(m.dir).toBe(dir);
    expect(m.manifestFile).toBe(path.join(dir, MANIFEST_FILE));
  });

  test('a file larger than 1 MiB is MANIFEST_TOO_LARGE before it is parsed', async () => {
    // Not even JSON5: were it parsed, the code would be MANIFEST_SYNTAX.
    const dir = await testdir({ [MANIFEST_FILE]: Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x21) });
    const error = await rejectsManifestError(loadManifest(dir), 'MANIFEST_TOO_LARGE');
    expect(error.file).toBe(path.join(dir, MANIFEST_FILE));
    expect(error.problems).toEqual([{ path: '', message: `${MAX_MANIFEST_BYTES + 1} bytes, more than the ${MAX_MANIFEST_BYTES} allowed` }]);
  });

  test('a file of exactly 1 MiB passes the size check (and reaches the parser)', async () => {
    const dir = await testdir({ [MANIFEST_FILE]: Buffer.alloc(MAX_MANIFEST_BYTES, 0x21) });
    await rejectsManifestError(loadManifest(dir), 'MANIFEST_SYNTAX');
  });

  test('a UTF-8 BOM, comments and trailing commas are accepted', async () => {
    const dir = await testdir({ [MANIFEST_FILE]: '\uFEFF// header\n{ /* c */ name: "bom", hooks: ["a",], }\n' });
    await expect(loadManifest(dir)).resolves.toMatchObject({ name: 'bom', hooks: ['a'] });
  });

  test('bytes that are not UTF-8 are MANIFEST_SYNTAX', async () => {
    const dir = await testdir({ [MANIFEST_FILE]: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) });
    const error = await rejectsManifestError(loadManifest(dir), 'MANIFEST_SYNTAX');
    expect(error.problems).toEqual([{ path: '', message: 'not valid UTF-8' }]);
  });

  test('a manifest that is a directory is MANIFEST_READ', async () => {
    const dir = await testdir({ [MANIFEST_FILE]: {} });
    const error = await rejectsManifestError(loadManifest(dir), 'MANIFEST_READ');
    expect(error.file).toBe(path.join(dir, MANIFEST_FILE));
    expect(error.problems).toEqual([{ path: '', message: 'not a regular file' }]);
  });

  test('a manifest that is a FIFO is MANIFEST_READ, not a hang', async () => {
    const dir = await testdir();
    execFileSync('mkfifo', [path.join(dir, MANIFEST_FILE)]);
    const error = await rejectsManifestError(loadManifest(dir), 'MANIFEST_READ');
    expect(error.problems).toEqual([{ path: '', message: 'not a regular file' }]);
  });

  test('a manifest that cannot be opened is MANIFEST_READ with the fs error as cause', async () => {
    const dir = await testdir({ [MANIFEST_FILE]: { symlink: MANIFEST_FILE } });
    const error = await rejectsManifestError(loadManifest(dir), 'MANIFEST_READ');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ELOOP');
    expect(error.problems[0]?.message).toContain('ELOOP');
  });

  test('a syntax error in the file names the file, line and column', async () => {
    const dir = await testdir({ [MANIFEST_FILE]: '{\n  name: "x",\n  version: 1.0.0,\n}' });
    const error = await rejectsManifestError(loadManifest(dir), 'MANIFEST_SYNTAX');
    expect(error.problems).toEqual([{ path: '', message: "invalid character '.' at line 3, column 15", line: 3, column: 15 }]);
    expect(error.message).toBe(
      `Cannot parse plugin manifest ${path.join(dir, MANIFEST_FILE)} (1 problem):\n  - invalid character '.' at line 3, column 15`,
    );
  });
});

describe('entry symlinks', () => {
  test('an entry symlink pointing outside the plugin dir is MANIFEST_ENTRY_ESCAPE', async () => {
    const root = await testdir({ secret: 'x', plugin: { [MANIFEST_FILE]: '{ name: "p", entry: "./main.js" }' } });
    await fs.symlink(path.join(root, 'secret'), path.join(root, 'plugin', 'main.js'));
    const error = await rejectsManifestError(loadManifest(path.join(root, 'plugin')), 'MANIFEST_ENTRY_ESCAPE');
    expect(error.file).toBe(path.join(root, 'plugin', MANIFEST_FILE));
    expect(error.problems).toEqual([
      { path: 'entry', message: `"./main.js" resolves to ${path.join(root, 'secret')}, outside the plugin directory ${path.join(root, 'plugin')}` },
    ]);
  });

  test('a symlinked directory on the way to a not-yet-built entry is caught too', async () => {
    const root = await testdir({ elsewhere: {}, plugin: { [MANIFEST_FILE]: '{ name: "p" }', dist: { symlink: '../elsewhere' } } });
    const error = await rejectsManifestError(loadManifest(path.join(root, 'plugin')), 'MANIFEST_ENTRY_ESCAPE');
    expect(error.problems[0]?.message).toContain(`resolves to ${path.join(root, 'elsewhere')}`);
  });

  test('a dangling entry symlink aiming outside is caught', async () => {
    const root = await testdir({ plugin: { [MANIFEST_FILE]: '{ name: "p", entry: "main.js" }', 'main.js': { symlink: '../not-yet/main.js' } } });
    await rejectsManifestError(loadManifest(path.join(root, 'plugin')), 'MANIFEST_ENTRY_ESCAPE');
  });

  test('symlinks that stay inside, a missing entry, and a symlinked plugin dir are fine', async () => {
    const root = await testdir({
      real: { [MANIFEST_FILE]: '{ name: "p", entry: "./main.js" }', lib: { 'index.js': '' }, 'main.js': { symlink: 'lib/index.js' } },
      missing: { [MANIFEST_FILE]: '{ name: "q" }' },
      linked: { symlink: 'real' },
    });
    await expect(loadManifest(path.join(root, 'real'))).resolves.toMatchObject({ name: 'p' });
    await expect(loadManifest(path.join(root, 'missing'))).resolves.toMatchObject({ entry: './dist/index.js' });
    await expect(loadManifest(path.join(root, 'linked'))).resolves.toMatchObject({ name: 'p', dir: path.join(root, 'linked') });
  });

  test('an entry symlink loop is MANIFEST_READ, not a hang', async () => {
    const root = await testdir({ plugin: { [MANIFEST_FILE]: '{ name: "p", entry: "a" }', a: { symlink: 'b' }, b: { symlink: 'a' } } });
    const error = await rejectsManifestError(loadManifest(path.join(root, 'plugin')), 'MANIFEST_READ');
    expect(error.problems[0]?.path).toBe('entry');
  });
});
