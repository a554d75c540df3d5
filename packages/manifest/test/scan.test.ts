import fs from 'node:fs/promises';
import path from 'node:path';
import { ManifestError, MANIFEST_FILE, OPENCLAW_MANIFEST_FILE, scanPlugins } from '../src/index.js';
import { cleanupTestdirs, testdir } from './helpers.js';

afterEach(cleanupTestdirs);

describe('scanPlugins', () => {
  // Ported from the rsclaw seed: scan_plugins_dir.
  test('finds a json5 plugin and an openclaw plugin and ignores a directory without a manifest', async () => {
    const dir = await testdir({
      'plugin-a': { [MANIFEST_FILE]: '{ name: "plugin-a", entry: "./a.wasm", runtime: "wasm" }' },
      'plugin-b': { [OPENCLAW_MANIFEST_FILE]: '{"name":"plugin-b","entry":"./index.js"}' },
      'no-manifest': {},
    });
    const { plugins, problems } = await scanPlugins(dir);
    expect(plugins.map((p) => [p.name, p.format, p.dir])).toEqual([
      ['plugin-a', 'json5', path.join(dir, 'plugin-a')],
      ['plugin-b', 'openclaw', path.join(dir, 'plugin-b')],
    ]);
    expect(problems).toEqual([]);
  });

  test('a bad manifest becomes a problem and the scan goes on; plain files are skipped', async () => {
    const dir = await testdir({
      'a-good': { [MANIFEST_FILE]: '{ name: "good" }' },
      'b-syntax': { [MANIFEST_FILE]: '{ name: ' },
      'c-invalid': { [MANIFEST_FILE]: '{ name: "c", timeoutMs: -1 }' },
      'd-good': { [OPENCLAW_MANIFEST_FILE]: '{ "id": "d" }' },
      'README.md': '# plugins',
    });
    const { plugins, problems } = await scanPlugins(dir);
    expect(plugins.map((p) => p.name)).toEqual(['good', 'd']);
    expect(problems.map((p) => [p.dir, p.file, p.error.code])).toEqual([
      [path.join(dir, 'b-syntax'), path.join(dir, 'b-syntax', MANIFEST_FILE), 'MANIFEST_SYNTAX'],
      [path.join(dir, 'c-invalid'), path.join(dir, 'c-invalid', MANIFEST_FILE), 'MANIFEST_INVALID'],
    ]);
    for (const p of problems) {
      expect(p.error).toBeInstanceOf(ManifestError);
      expect(p.message).toBe(p.error.message);
    }
    expect(problems[1]?.error.problems).toEqual([{ path: 'timeoutMs', message: 'must be greater than 0, got number -1' }]);
  });

  test('results are sorted by directory name whatever the creation order', async () => {
    const dir = await testdir();
    for (const name of ['zeta', 'Alpha', 'mid', 'beta']) {
      await fs.mkdir(path.join(dir, name));
      await fs.writeFile(path.join(dir, name, MANIFEST_FILE), `{ name: "${name}" }`);
    }
    const { plugins } = await scanPlugins(dir);
    expect(plugins.map((p) => p.name)).toEqual(['Alpha', 'beta', 'mid', 'zeta']);
  });

  test('a missing plugins directory gives an empty result', async () => {
    const dir = await testdir();
    await expect(scanPlugins(path.join(dir, 'absent'))).resolves.toEqual({ plugins: [], problems: [] });
  });

  test('a symlinked plugin directory is loaded; a symlink to a file is skipped', async () => {
    const root = await testdir({ src: { [MANIFEST_FILE]: '{ name: "linked" }' }, 'note.txt': '', plugins: {} });
    await fs.symlink(path.join(root, 'src'), path.join(root, 'plugins', 'linked'));
    await fs.symlink(path.join(root, 'note.txt'), path.join(root, 'plugins', 'note'));
    const { plugins, problems } = await scanPlugins(path.join(root, 'plugins'));
    expect(plugins.map((p) => [p.name, p.dir])).toEqual([['linked', path.join(root, 'plugins', 'linked')]]);
    expect(problems).toEqual([]);
  });

  test('warnings reach the logger and stay on the plugin', async () => {
    const dir = await testdir({ both: { [MANIFEST_FILE]: '{ name: "both" }', [OPENCLAW_MANIFEST_FILE]: '{ "id": "other" }' } });
    const logged: string[] = [];
    const { plugins } = await scanPlugins(dir, { logger: { warn: (message) => logged.push(message) } });
    expect(plugins[0]?.warnings).toHaveLength(1);
    expect(logged).toEqual(plugins[0]?.warnings);
  });

  test('a plugins path that is a file gives an empty result', async () => {
    const root = await testdir({ file: 'x' });
    await expect(scanPlugins(path.join(root, 'file'))).resolves.toEqual({ plugins: [], problems: [] });
  });
});
