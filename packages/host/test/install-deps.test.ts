import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { createNativeDriver, type InstallProgress, type PluginHost } from '../src/index.js';
import { mcpServerSource, rejection, tempDir, withHost, writeTree } from './helpers.js';

// Plugins that depend on packages: `host.install` runs `npm install --omit=dev --ignore-scripts`
// in the unpacked plugin, so it answers right after install. `ms` comes from the npm registry;
// the clawdesk packages come from their packed tarballs (as they will from the registry once published).

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let work: string;
let sdk: Record<string, string>;

async function npmPack(dirs: string[], out: string): Promise<string[]> {
  mkdirSync(out, { recursive: true });
  const { stdout } = await promisify(execFile)('npm', ['pack', ...dirs, '--ignore-scripts', '--pack-destination', out, '--json', '--silent'], {
    cwd: out,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', npm_config_cache: path.join(out, '.npm'), npm_config_update_notifier: 'false' },
    timeout: 60_000,
  });
  return (JSON.parse(stdout) as { filename: string }[]).map((r) => path.join(out, r.filename));
}

const pack = async (name: string, files: Record<string, string>) => {
  const [file] = await npmPack([path.join(writeTree(files, path.join(work, 'src', name)))], path.join(work, 'out'));
  return `file:${file as string}`;
};

beforeAll(async () => {
  work = tempDir('clawdesk-install-deps-');
  const [manifestTgz, sandboxTgz, sdkTgz] = await npmPack(
    ['manifest', 'sandbox', 'plugin-sdk'].map((p) => path.join(root, 'packages', p)),
    path.join(work, 'sdk'),
  );
  sdk = {
    '@clawdesk/manifest': `file:${manifestTgz as string}`,
    '@clawdesk/sandbox': `file:${sandboxTgz as string}`,
    '@clawdesk/plugin-sdk': `file:${sdkTgz as string}`,
  };
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

async function withPlugins(fn: (t: { host: PluginHost; plugins: string }) => Promise<void>): Promise<void> {
  const plugins = tempDir('clawdesk-plugins-');
  try {
    await withHost({ drivers: [createNativeDriver(), createProcessDriver()], pluginDirs: [plugins] }, ({ host }) => fn({ host, plugins }));
  } finally {
    rmSync(plugins, { recursive: true, force: true });
  }
}

describe('host.install of a plugin with dependencies', () => {
  test('a process plugin depending on ms (from the npm registry) answers right after install', async () => {
    const spec = await pack('uses-ms', {
      'package.json': JSON.stringify({ name: '@clawdesk-test/uses-ms', version: '1.0.0', type: 'module', dependencies: { ms: '2.1.3' } }),
      'plugin.json5': `{ name: 'uses-ms', version: '1.0.0', description: 'needs ms', author: 'tests', runtime: 'node', entry: './index.js',
        tools: [{ name: 'parse', description: 'ms(text)', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }] }`,
      'index.js': mcpServerSource({ name: 'uses-ms', tools: ['parse'], imports: "import ms from 'ms';", answer: '(_tool, args) => ms(args.text)' }),
    });
    await withPlugins(async ({ host, plugins }) => {
      const progress: InstallProgress[] = [];
      const entry = await host.install(spec, { onProgress: (p) => progress.push(p) });
      expect(entry).toMatchObject({ name: 'uses-ms', state: 'active' });
      const result = await host.callTool('uses-ms', 'parse', { text: '2h' });
      expect(result.content).toEqual([{ type: 'text', text: '7200000' }]);
      const dir = path.join(plugins, '@clawdesk-test+uses-ms');
      expect(JSON.parse(readFileSync(path.join(dir, 'node_modules/ms/package.json'), 'utf8')).version).toBe('2.1.3');
      expect([...new Set(progress.map((p) => p.phase))]).toEqual(['resolve', 'fetch', 'extract', 'validate', 'dependencies', 'load']);
      expect(progress.find((p) => p.phase === 'dependencies')?.detail).toBe('1 dependency of @clawdesk-test/uses-ms@1.0.0');
      // The published package.json is kept as it was.
      expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))).toEqual({
        name: '@clawdesk-test/uses-ms',
        version: '1.0.0',
        type: 'module',
        dependencies: { ms: '2.1.3' },
      });
    });
  }, 120_000);

  test('a plugin written with @clawdesk/plugin-sdk answers, with the SDK taken from its packed tarball', async () => {
    const spec = await pack('uses-sdk', {
      'package.json': JSON.stringify({
        name: '@clawdesk-test/uses-sdk',
        version: '1.0.0',
        type: 'module',
        dependencies: { '@clawdesk/plugin-sdk': '^0.0.0', zod: '^4.0.0' },
      }),
      'plugin.json5': `{ name: 'uses-sdk', version: '1.0.0', description: 'sdk plugin', author: 'tests', runtime: 'node', entry: './index.js',
        tools: [{ name: 'shout', description: 'upper-cases', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } }] }`,
      'index.js': [
        "import { definePlugin, serve, tool } from '@clawdesk/plugin-sdk';",
        "import { z } from 'zod';",
        'serve(definePlugin({',
        "  name: 'uses-sdk',",
        "  tools: { shout: tool({ description: 'upper-cases', input: z.object({ text: z.string() }), run: ({ text }) => text.toUpperCase() }) },",
        '}));',
        '',
      ].join('\n'),
    });
    await withPlugins(async ({ host }) => {
      await host.install(spec, { dependencyOverrides: sdk });
      const result = await host.callTool('uses-sdk', 'shout', { text: 'hi' });
      expect(result.structuredContent).toBe('HI');
    });
  }, 180_000);

  test('a dependency that cannot be installed is a DEPENDENCIES_FAILED error naming npm’s reason, and nothing is left in the plugins dir', async () => {
    const spec = await pack('broken-dep', {
      'package.json': JSON.stringify({ name: '@clawdesk-test/broken-dep', version: '1.0.0', dependencies: { 'left-pad-zz': 'file:./missing.tgz' } }),
      'plugin.json5': `{ name: 'broken-dep', version: '1.0.0', description: 'x', author: 'tests', sandbox: 'native', entry: './index.mjs' }`,
      'index.mjs': 'export default { tools: {} };\n',
    });
    await withPlugins(async ({ host, plugins }) => {
      const error = await rejection(host.install(spec));
      expect(error).toMatchObject({ name: 'InstallError', code: 'DEPENDENCIES_FAILED', data: { package: '@clawdesk-test/broken-dep@1.0.0' } });
      expect((error as Error).message).toMatch(/^cannot install the dependencies of @clawdesk-test\/broken-dep@1\.0\.0: npm install exited with code \d+: .*missing\.tgz/);
      expect(readdirSync(plugins)).toEqual([]);
      expect(host.list()).toEqual([]);
    });
  }, 120_000);

  test("dependencies' lifecycle scripts do not run unless the operator allows them", async () => {
    const marker = path.join(work, 'postinstall-ran');
    const hostile = await pack('hostile-dep', {
      'package.json': JSON.stringify({
        name: 'hostile-dep',
        version: '1.0.0',
        scripts: { postinstall: `node -e "require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')"` },
      }),
      'index.js': 'module.exports = 1;\n',
    });
    const spec = await pack('uses-hostile', {
      'package.json': JSON.stringify({ name: '@clawdesk-test/uses-hostile', version: '1.0.0', dependencies: { 'hostile-dep': hostile } }),
      'plugin.json5': `{ name: 'uses-hostile', version: '1.0.0', description: 'x', author: 'tests', sandbox: 'native', entry: './index.mjs' }`,
      'index.mjs': "export default { tools: { one: { description: 'one', run: () => 1 } } };\n",
    });
    await withPlugins(async ({ host, plugins }) => {
      await host.install(spec);
      expect(existsSync(path.join(plugins, '@clawdesk-test+uses-hostile/node_modules/hostile-dep/index.js'))).toBe(true);
      expect(existsSync(marker)).toBe(false);
    });
  }, 120_000);
});
