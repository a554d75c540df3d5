import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PluginManifest } from '@clawdesk/manifest';
import { NOTHING_ENFORCED, type SandboxDriver } from '@clawdesk/sandbox';
import { createNativeDriver, type InstalledEvent, type InstallProgress, type PluginHost } from '../src/index.js';
import { rejection, sleep, tempDir, withHost, writeTree } from './helpers.js';

// Every package is built here with `npm pack` and served by a tiny registry on 127.0.0.1, so the
// npm: path (packument, range resolution, tarball download, integrity, cache) runs for real, offline.

const SCOPE = '@clawdesk-test';

/** A native plugin package; each version has its own entry file (jest caches modules by path). */
function pluginPackage(pkg: string, plugin: string, version: string, code?: string): Record<string, string> {
  const entry = `v${version.replaceAll('.', '_')}.mjs`;
  return {
    'package.json': JSON.stringify({ name: pkg, version, type: 'module' }),
    'plugin.json5': `{ name: '${plugin}', version: '${version}', description: 'installed', author: 'tests', sandbox: 'native', entry: './${entry}' }`,
    [entry]: code ?? `export default { tools: { version: { description: 'which version answers', run: () => 'v${version}' } } };`,
  };
}

interface Packed {
  file: string;
  integrity: string;
}

/** Packument data: package → version → tarball; `integrity` may be overridden to lie. */
type Catalog = Record<string, Record<string, Packed>>;

let work: string;
let catalog: Catalog;
let registry: { url: string; server: Server; tarballHits: Map<string, number>; slow: Set<string> };

async function npmPack(dirs: string[], out: string): Promise<string[]> {
  mkdirSync(out, { recursive: true });
  const { stdout } = await promisify(execFile)('npm', ['pack', ...dirs, '--pack-destination', out, '--json', '--silent'], {
    cwd: out,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', npm_config_cache: path.join(out, '.npm'), npm_config_update_notifier: 'false' },
    timeout: 30_000,
  });
  return (JSON.parse(stdout) as { filename: string }[]).map((r) => path.join(out, r.filename));
}

const sri = (file: string) => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;

function startRegistry(): Promise<typeof registry> {
  const tarballHits = new Map<string, number>();
  const slow = new Set<string>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (url.pathname.startsWith('/-/tarballs/')) {
      const name = decodeURIComponent(url.pathname.slice('/-/tarballs/'.length));
      const file = path.join(work, 'out', name);
      if (!existsSync(file)) return void res.writeHead(404).end();
      tarballHits.set(name, (tarballHits.get(name) ?? 0) + 1);
      const body = readFileSync(file);
      const send = () => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
      if (!slow.has(name)) return void send();
      const timer = setTimeout(send, 3000);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    const name = decodeURIComponent(url.pathname.slice(1));
    const versions = catalog[name];
    if (!versions) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
    const packument = {
      name,
      'dist-tags': { latest: Object.keys(versions).filter((v) => !v.includes('-')).sort().at(-1) },
      versions: Object.fromEntries(
        Object.entries(versions).map(([version, p]) => [
          version,
          { name, version, dist: { tarball: `${base}/-/tarballs/${encodeURIComponent(path.basename(p.file))}`, integrity: p.integrity } },
        ]),
      ),
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server, tarballHits, slow })),
  );
}

beforeAll(async () => {
  work = tempDir('clawdesk-install-');
  const src = (rel: string, files: Record<string, string>) => path.join(writeTree(Object.fromEntries(Object.entries(files).map(([f, t]) => [`${rel}/${f}`, t])), work), rel);
  const dirs = [
    src('src/greeter-1.0.0', pluginPackage(`${SCOPE}/greeter`, 'greeter', '1.0.0')),
    src('src/greeter-1.1.0', pluginPackage(`${SCOPE}/greeter`, 'greeter', '1.1.0')),
    src('src/greeter-2.0.0', pluginPackage(`${SCOPE}/greeter`, 'greeter', '2.0.0')),
    src('src/greeter-1.3.0-rc.1', pluginPackage(`${SCOPE}/greeter`, 'greeter', '1.3.0-rc.1', "throw new Error('1.3.0-rc.1 is broken');\n")),
    src('src/not-a-plugin', { 'package.json': JSON.stringify({ name: `${SCOPE}/not-a-plugin`, version: '1.0.0' }), 'index.js': 'module.exports = 1;\n' }),
    src('src/tampered', pluginPackage(`${SCOPE}/tampered`, 'tampered', '1.0.0')),
    src('src/mcp-server', { 'package.json': JSON.stringify({ name: `${SCOPE}/mcp-server`, version: '3.1.0', bin: { 'mcp-server': 'bin/server.js' } }), 'bin/server.js': '// an MCP stdio server\n' }),
  ];
  const [g100, g110, g200, broken, notPlugin, tampered, mcpServer] = await npmPack(dirs, path.join(work, 'out'));
  const packed = (file: string | undefined): Packed => ({ file: file as string, integrity: sri(file as string) });
  catalog = {
    [`${SCOPE}/greeter`]: { '1.0.0': packed(g100), '1.1.0': packed(g110), '2.0.0': packed(g200), '1.3.0-rc.1': packed(broken) },
    [`${SCOPE}/not-a-plugin`]: { '1.0.0': packed(notPlugin) },
    [`${SCOPE}/mcp-server`]: { '3.1.0': packed(mcpServer) },
    // The registry claims other bytes than it serves.
    [`${SCOPE}/tampered`]: { '1.0.0': { file: tampered as string, integrity: sri(g100 as string) } },
  };
  registry = await startRegistry();
}, 60_000);

afterAll(async () => {
  if (registry) {
    registry.server.closeAllConnections();
    await new Promise((resolve) => registry.server.close(resolve));
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

const tarball = (pkg: string, version: string) => catalog[pkg]?.[version]?.file as string;

/** A host with a fresh plugins dir (its only `pluginDirs` entry) and its install events recorded. */
async function withPlugins(fn: (t: { host: PluginHost; plugins: string; dataDir: string; installed: InstalledEvent[] }) => Promise<void>): Promise<void> {
  const plugins = tempDir('clawdesk-plugins-');
  try {
    await withHost({ drivers: [createNativeDriver()], pluginDirs: [plugins] }, async ({ host, dataDir }) => {
      const installed: InstalledEvent[] = [];
      host.on('installed', (e) => installed.push(e));
      await fn({ host, plugins, dataDir, installed });
    });
  } finally {
    rmSync(plugins, { recursive: true, force: true });
  }
}

describe('host.install', () => {
  test('npm:@scope/name@^1 installs the newest matching version from the registry into <pluginDirs[0]>/<name> and loads it', async () => {
    await withPlugins(async ({ host, plugins, dataDir, installed }) => {
      const phases: InstallProgress[] = [];
      const entry = await host.install(`npm:${SCOPE}/greeter@^1.0.0`, { registry: registry.url, onProgress: (p) => phases.push(p) });
      const dest = path.join(plugins, '@clawdesk-test+greeter');
      // Published: 1.0.0, 1.1.0, 1.3.0-rc.1 (a prerelease, outside ^1.0.0) and 2.0.0 (latest).
      expect(entry).toMatchObject({ name: 'greeter', state: 'active', manifest: { version: '1.1.0', dir: dest } });
      expect((await host.callTool('greeter', 'version')).structuredContent).toBe('v1.1.0');
      expect(phases.map((p) => p.phase)).toEqual(['resolve', 'fetch', 'extract', 'validate', 'load']);
      expect(readdirSync(plugins)).toEqual(['@clawdesk-test+greeter']);
      expect(installed).toEqual([
        {
          plugin: 'greeter',
          version: '1.1.0',
          package: `${SCOPE}/greeter@1.1.0`,
          spec: `npm:${SCOPE}/greeter@^1.0.0`,
          dir: dest,
          integrity: catalog[`${SCOPE}/greeter`]?.['1.1.0']?.integrity,
          cached: false,
          replaced: undefined,
        },
      ]);
      expect(existsSync(path.join(dataDir, '.cache/npm'))).toBe(true);
    });
  });

  test('a bare name installs the latest dist-tag, and a tilde range stays within its minor', async () => {
    await withPlugins(async ({ host }) => {
      expect((await host.install(`npm:${SCOPE}/greeter`, { registry: registry.url })).manifest.version).toBe('2.0.0');
      await host.unload('greeter');
      expect((await host.install(`npm:${SCOPE}/greeter@~1.0.0`, { registry: registry.url })).manifest.version).toBe('1.0.0');
    });
  });

  test('installing the same version again comes from the cache: no second tarball download', async () => {
    await withPlugins(async ({ host, plugins }) => {
      const file = path.basename(tarball(`${SCOPE}/greeter`, '1.0.0'));
      const before = registry.tarballHits.get(file) ?? 0;
      await host.install(`npm:${SCOPE}/greeter@1.0.0`, { registry: registry.url });
      expect(registry.tarballHits.get(file)).toBe(before + 1);

      // As on a fresh plugins dir: the plugin and its files are gone, the cache is not.
      await host.unload('greeter');
      rmSync(path.join(plugins, '@clawdesk-test+greeter'), { recursive: true });
      const phases: string[] = [];
      const entry = await host.install(`npm:${SCOPE}/greeter@1.0.0`, { registry: registry.url, onProgress: (p) => phases.push(p.phase) });
      expect(phases).toEqual(['resolve', 'cached', 'extract', 'validate', 'load']);
      expect(registry.tarballHits.get(file)).toBe(before + 1);
      expect(entry).toMatchObject({ name: 'greeter', state: 'active', manifest: { version: '1.0.0' } });
    });
  });

  test('installing a newer version over a running one swaps it in without failing a single call', async () => {
    await withPlugins(async ({ host, installed }) => {
      await host.install(`npm:${SCOPE}/greeter@1.0.0`, { registry: registry.url });
      const reloaded: unknown[] = [];
      host.on('reloaded', (e) => reloaded.push(e));
      const errors: unknown[] = [];
      const answers = new Set<unknown>();
      let hammering = true;
      const hammer = (async () => {
        while (hammering) {
          await host.callTool('greeter', 'version').then((r) => answers.add(r.structuredContent), (e: unknown) => errors.push(e));
          await sleep(1);
        }
      })();
      try {
        await host.install(`npm:${SCOPE}/greeter@1.1.0`, { registry: registry.url });
        await sleep(20);
      } finally {
        hammering = false;
        await hammer;
      }
      expect(errors).toEqual([]);
      expect(reloaded).toEqual([{ plugin: 'greeter', from: '1.0.0', to: '1.1.0' }]);
      expect([...answers]).toEqual(['v1.0.0', 'v1.1.0']);
      expect(installed.map((e) => [e.version, e.replaced])).toEqual([
        ['1.0.0', undefined],
        ['1.1.0', '1.0.0'],
      ]);
    });
  });

  test('a new version that fails to load leaves the old files in place and the old version serving', async () => {
    await withPlugins(async ({ host, plugins }) => {
      await host.install(`npm:${SCOPE}/greeter@1.1.0`, { registry: registry.url });
      const failed: unknown[] = [];
      host.on('reload-failed', (e) => failed.push(e));
      const err = await rejection(host.install(`npm:${SCOPE}/greeter@1.3.0-rc.1`, { registry: registry.url }));
      expect(err).toMatchObject({ code: 'LOAD_FAILED', plugin: 'greeter' });
      expect(err.message).toContain('1.3.0-rc.1 is broken');
      expect(failed).toHaveLength(1);
      expect(host.get('greeter')).toMatchObject({ state: 'active', manifest: { version: '1.1.0' } });
      expect((await host.callTool('greeter', 'version')).structuredContent).toBe('v1.1.0');
      expect(readdirSync(plugins)).toEqual(['@clawdesk-test+greeter']);
      expect(readFileSync(path.join(plugins, '@clawdesk-test+greeter/plugin.json5'), 'utf8')).toContain("version: '1.1.0'");
    });
  });

  test('a first install whose plugin fails to load leaves neither files nor a failed entry behind', async () => {
    await withPlugins(async ({ host, plugins }) => {
      const err = await rejection(host.install(`npm:${SCOPE}/greeter@1.3.0-rc.1`, { registry: registry.url }));
      expect(err).toMatchObject({ code: 'LOAD_FAILED' });
      expect(host.list()).toEqual([]);
      expect(readdirSync(plugins)).toEqual([]);
    });
  });

  test('file: specs install a local tarball', async () => {
    await withPlugins(async ({ host, plugins }) => {
      const phases: string[] = [];
      const entry = await host.install(`file:${tarball(`${SCOPE}/greeter`, '2.0.0')}`, { onProgress: (p) => phases.push(p.phase) });
      expect(entry).toMatchObject({ name: 'greeter', manifest: { version: '2.0.0', dir: path.join(plugins, '@clawdesk-test+greeter') } });
      expect(phases).toEqual(['resolve', 'fetch', 'extract', 'validate', 'load']);
      expect((await host.callTool('greeter', 'version')).structuredContent).toBe('v2.0.0');
    });
  });

  test('mcp: a package with a bin and no manifest gets a plugin.json5 for it, and loads as a process plugin', async () => {
    // A driver that takes process plugins and records what it was asked to run: the manifest is what is under test.
    const ran: PluginManifest[] = [];
    const recording: SandboxDriver = {
      kind: 'process',
      packageName: 'test',
      supports: (m) => m.sandbox === 'process',
      enforcement: () => NOTHING_ENFORCED,
      instantiate: async (m) => {
        ran.push(m);
        return { describe: async () => ({ tools: [], hooks: [] }), callTool: async () => ({ content: [] }), dispatch: async () => null, dispose: async () => {}, onExit: () => () => {} };
      },
    };
    const plugins = tempDir('clawdesk-plugins-');
    try {
      await withHost({ drivers: [recording, createNativeDriver()], pluginDirs: [plugins] }, async ({ host }) => {
        const entry = await host.install(`file:${tarball(`${SCOPE}/mcp-server`, '3.1.0')}`, { mcp: { name: 'srv', args: ['--root', '${dataDir}'] } });
        expect(entry).toMatchObject({ name: 'srv', state: 'active', manifest: { version: '3.1.0', sandbox: 'process', runtime: 'node', entry: './bin/server.js', args: ['--root', '${dataDir}'] } });
        expect(ran.map((m) => m.name)).toEqual(['srv']);
        expect(readFileSync(path.join(entry.manifest.dir, 'plugin.json5'), 'utf8')).toMatch(/^\/\/ Written by clawdesk install --mcp/);
        // A package with a manifest of its own keeps it.
        const own = await host.install(`file:${tarball(`${SCOPE}/greeter`, '1.0.0')}`, { mcp: { name: 'ignored' } });
        expect(own).toMatchObject({ name: 'greeter', manifest: { sandbox: 'native' } });
      });
    } finally {
      rmSync(plugins, { recursive: true, force: true });
    }
  });

  test('the dir option overrides pluginDirs', async () => {
    const elsewhere = tempDir('clawdesk-elsewhere-');
    try {
      await withPlugins(async ({ host, plugins }) => {
        const entry = await host.install(`file:${tarball(`${SCOPE}/greeter`, '1.0.0')}`, { dir: elsewhere });
        expect(entry.manifest.dir).toBe(path.join(elsewhere, '@clawdesk-test+greeter'));
        expect(readdirSync(plugins)).toEqual([]);
      });
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  interface FailCase {
    name: string;
    spec: () => string;
    opts?: () => Record<string, unknown>;
    code: string;
    message: RegExp;
    data?: Record<string, unknown>;
    /** More of `data`, computed once the packages exist. */
    more?: () => Record<string, unknown>;
  }
  const wrong = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
  const failures: FailCase[] = [
    {
      name: 'an unknown package is NPM_NOT_FOUND naming it and the registry',
      spec: () => `npm:${SCOPE}/missing`,
      code: 'NPM_NOT_FOUND',
      message: /^package @clawdesk-test\/missing was not found in http:\/\/127\.0\.0\.1:\d+\/$/,
    },
    {
      name: 'a range no version satisfies is NO_MATCHING_VERSION listing the published ones',
      spec: () => `npm:${SCOPE}/greeter@^9.0.0`,
      code: 'NO_MATCHING_VERSION',
      message: /^no version of @clawdesk-test\/greeter satisfies "\^9\.0\.0" \(published: /,
      data: { wanted: '^9.0.0' },
    },
    {
      name: 'a tarball whose bytes differ from the registry integrity is INTEGRITY_MISMATCH',
      spec: () => `npm:${SCOPE}/tampered@1.0.0`,
      code: 'INTEGRITY_MISMATCH',
      message: /^integrity check failed for @clawdesk-test\/tampered@1\.0\.0: expected sha512-\S+, got sha512-\S+$/,
      data: { package: `${SCOPE}/tampered@1.0.0` },
      more: () => ({ expected: sri(tarball(`${SCOPE}/greeter`, '1.0.0')), found: sri(tarball(`${SCOPE}/tampered`, '1.0.0')) }),
    },
    {
      name: 'an npm package not matching the integrity option is INTEGRITY_MISMATCH',
      spec: () => `npm:${SCOPE}/greeter@1.0.0`,
      opts: () => ({ integrity: wrong }),
      code: 'INTEGRITY_MISMATCH',
      // Refused from the packument already, before any download.
      message: /^integrity check failed for npm:@clawdesk-test\/greeter@1\.0\.0: Integrity checksum failed when using sha512: wanted sha512-Bwc/,
    },
    {
      name: 'a file: tarball not matching the integrity option is INTEGRITY_MISMATCH',
      spec: () => `file:${tarball(`${SCOPE}/greeter`, '1.0.0')}`,
      opts: () => ({ integrity: wrong }),
      code: 'INTEGRITY_MISMATCH',
      message: /^integrity check failed for file:\S+clawdesk-test-greeter-1\.0\.0\.tgz: expected sha512-Bwc\S+, got sha512-\S+$/,
      more: () => ({ expected: wrong, found: sri(tarball(`${SCOPE}/greeter`, '1.0.0')) }),
    },
    {
      name: 'a package without plugin.json5 or openclaw.plugin.json is NO_MANIFEST naming the package',
      spec: () => `npm:${SCOPE}/not-a-plugin`,
      code: 'NO_MANIFEST',
      message: /^package @clawdesk-test\/not-a-plugin@1\.0\.0 is not a clawdesk plugin: it has neither plugin\.json5 nor openclaw\.plugin\.json \(an MCP stdio server can be installed with the mcp option, clawdesk install --mcp\)$/,
      data: { package: `${SCOPE}/not-a-plugin@1.0.0` },
    },
    {
      name: 'a missing file: tarball is NPM_NOT_FOUND',
      spec: () => `file:${path.join(work, 'nope.tgz')}`,
      code: 'NPM_NOT_FOUND',
      message: /^no package tarball at /,
    },
    { name: 'a git spec is INVALID_SPEC', spec: () => 'github:someone/plugin', code: 'INVALID_SPEC', message: /use npm:<name>\[@<range>\] or file:<path to \.tgz>$/ },
    { name: 'an npm: alias to a local path is INVALID_SPEC', spec: () => 'npm:foo@file:../x', code: 'INVALID_SPEC', message: /"file:\.\.\/x" is not a version, range or tag/ },
    { name: 'an invalid package name is INVALID_SPEC', spec: () => 'npm:Not A Name', code: 'INVALID_SPEC', message: /"Not A Name" is not an npm package name/ },
    { name: 'a file: directory is INVALID_SPEC', spec: () => `file:${work}`, code: 'INVALID_SPEC', message: /a file: spec must name a package tarball/ },
  ];

  test.each(failures)('$name, and nothing is written', async (c) => {
    await withPlugins(async ({ host, plugins, installed }) => {
      const spec = c.spec();
      const err = await rejection(host.install(spec, { registry: registry.url, ...c.opts?.() }));
      expect(err).toMatchObject({ name: 'InstallError', code: c.code, spec, data: { spec, ...c.data, ...c.more?.() } });
      expect(err.message).toMatch(c.message);
      expect(readdirSync(plugins)).toEqual([]);
      expect(host.list()).toEqual([]);
      expect(installed).toEqual([]);
    });
  });

  test('cancelling an install while the tarball downloads rejects with CANCELLED and leaves nothing behind', async () => {
    await withPlugins(async ({ host, plugins }) => {
      registry.slow.add(path.basename(tarball(`${SCOPE}/greeter`, '2.0.0')));
      const controller = new AbortController();
      const started = Date.now();
      const err = await rejection(
        host.install(`npm:${SCOPE}/greeter@2.0.0`, {
          registry: registry.url,
          signal: controller.signal,
          onProgress: (p) => p.phase === 'fetch' && setTimeout(() => controller.abort(new Error('user gave up')), 50),
        }),
      );
      expect(err).toMatchObject({ code: 'CANCELLED', message: `install of npm:${SCOPE}/greeter@2.0.0 was cancelled` });
      // The registry holds the tarball for 3 s; the cancel did not wait for it.
      expect(Date.now() - started).toBeLessThan(2500);
      expect(readdirSync(plugins)).toEqual([]);
      expect(host.list()).toEqual([]);
      expect((await rejection(host.install(`npm:${SCOPE}/greeter@1.0.0`, { signal: AbortSignal.abort() }))).code).toBe('CANCELLED');
    });
  });

  test('without a dir option or pluginDirs, install is refused with INVALID_OPTIONS', async () => {
    await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
      expect(await rejection(host.install(`npm:${SCOPE}/greeter`))).toMatchObject({ code: 'INVALID_OPTIONS', data: { option: 'dir' } });
    });
  });
});
