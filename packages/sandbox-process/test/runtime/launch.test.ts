import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createTestContext } from '@clawdesk/sandbox/conformance';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createProcessDriver } from '../../src/driver.js';
import { unixSocketEgress } from '../../src/isolation/egress.js';
import { OsIsolation } from '../../src/isolation/index.js';
import { ancestorModulePaths } from '../../src/runtime/grants.js';
import { buildLaunch, childEnv } from '../../src/runtime/launch.js';
import { fixtureManifest } from '../support/plugins.js';

const manifest = fixtureManifest('fs-escape', {
  permissions: {
    fs: { read: ['./assets'], write: ['./out'] },
    env: ['DECLARED_TOKEN', 'UNSET_VAR'],
    network: { allowedHosts: ['api.example.com', 'cdn.example.com'] },
    memoryMb: 64,
  },
});
const dataDir = '/var/clawdesk/data/fs-escape';
const hostEnv = { PATH: '/usr/bin:/bin', HOME: '/root', SECRET_TOKEN: 'hunter2', DECLARED_TOKEN: 'shared', DENO_DIR: '/cache/deno' };
const launch = (runtime: 'node' | 'bun' | 'deno', allowAncestorNodeModules = false) =>
  buildLaunch({ ...manifest, runtime }, runtime, `/bin/${runtime}`, dataDir, { allowAncestorNodeModules, hostEnv });

describe('launching a plugin process', () => {
  test('node runs under --permission with reads limited to the plugin dir, fs.read and the data dir, and writes to fs.write and the data dir', () => {
    const { file, args, cwd } = launch('node');
    expect(file).toBe('/bin/node');
    expect(cwd).toBe(manifest.dir);
    // Grants are ordered ancestors first (Node 24 cannot list a dir granted after a path inside it).
    const byLength = (paths: string[]) => [...paths].sort((a, b) => a.length - b.length);
    expect(args).toEqual([
      '--permission',
      '--no-experimental-sqlite',
      ...byLength([manifest.dir, path.join(manifest.dir, 'assets'), dataDir]).map((p) => `--allow-fs-read=${p}`),
      ...byLength([path.join(manifest.dir, 'out'), dataDir]).map((p) => `--allow-fs-write=${p}`),
      '--max-old-space-size=64',
      path.join(manifest.dir, 'plugin.mjs'),
    ]);
  });

  test('node gets --allow-child-process and --allow-worker only when the manifest extra field asks for them', () => {
    const m = { ...manifest, extra: { allowChildProcess: true, allowWorker: true } };
    const { args } = buildLaunch(m, 'node', '/bin/node', dataDir, { allowAncestorNodeModules: false, hostEnv });
    expect(args).toContain('--allow-child-process');
    expect(args).toContain('--allow-worker');
    const truthyButNotTrue = { ...manifest, extra: { allowChildProcess: 'yes' } };
    expect(buildLaunch(truthyButNotTrue, 'node', '/bin/node', dataDir, { allowAncestorNodeModules: false, hostEnv }).args).not.toContain('--allow-child-process');
    expect(launch('node').args.some((a) => a.startsWith('--allow-child') || a.startsWith('--allow-worker'))).toBe(false);
  });

  test('deno denies everything not granted: reads, writes, network hosts and env names are listed, no prompt', () => {
    expect(launch('deno').args).toEqual([
      'run',
      '--no-prompt',
      '--no-lock',
      `--allow-read=${manifest.dir},${path.join(manifest.dir, 'assets')},${dataDir}`,
      `--allow-write=${path.join(manifest.dir, 'out')},${dataDir}`,
      '--allow-net=api.example.com,cdn.example.com',
      '--allow-env=DECLARED_TOKEN,UNSET_VAR',
      '--v8-flags=--max-old-space-size=64',
      path.join(manifest.dir, 'plugin.mjs'),
    ]);
  });

  test('deno gets no --allow-net or --allow-env at all when none are declared', () => {
    const bare = fixtureManifest('fs-escape', { runtime: 'deno' });
    const { args } = buildLaunch(bare, 'deno', '/bin/deno', dataDir, { allowAncestorNodeModules: false, hostEnv });
    expect(args.filter((a) => a.startsWith('--allow-net') || a.startsWith('--allow-env') || a === '--allow-run')).toEqual([]);
  });

  test('jitless: node gets --jitless before its entry, deno gets it in --v8-flags, bun is unchanged', () => {
    const jitless = (runtime: 'node' | 'bun' | 'deno') =>
      buildLaunch({ ...manifest, runtime }, runtime, `/bin/${runtime}`, dataDir, { allowAncestorNodeModules: false, hostEnv, jitless: true }).args;
    expect(jitless('node').slice(-2)).toEqual(['--jitless', path.join(manifest.dir, 'plugin.mjs')]);
    expect(jitless('deno')).toContain('--v8-flags=--max-old-space-size=64,--jitless');
    expect(jitless('bun')).toEqual(launch('bun').args);
    expect(launch('node').args).not.toContain('--jitless');
  });

  test('bun runs the entry with no flags (it has no permission model)', () => {
    expect(launch('bun').args).toEqual([path.join(manifest.dir, 'plugin.mjs')]);
  });

  test('the child environment is PATH, HOME = data dir, NO_COLOR and the declared variables the host has set — never a secret', () => {
    expect(childEnv(manifest, 'node', dataDir, hostEnv)).toEqual({ PATH: '/usr/bin:/bin', HOME: dataDir, NO_COLOR: '1', DECLARED_TOKEN: 'shared' });
    expect(childEnv(manifest, 'deno', dataDir, hostEnv)).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: dataDir,
      NO_COLOR: '1',
      DENO_NO_UPDATE_CHECK: '1',
      DENO_NO_PROMPT: '1',
      DENO_DIR: '/cache/deno',
      DECLARED_TOKEN: 'shared',
    });
    expect(childEnv(manifest, 'bun', dataDir, hostEnv)).toEqual({ PATH: '/usr/bin:/bin', HOME: dataDir, NO_COLOR: '1', DO_NOT_TRACK: '1', DECLARED_TOKEN: 'shared' });
  });

  test('node may read the node_modules folders above the plugin and the real dirs of packages linked into them', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'clawdesk-modules-'));
    try {
      const plugin = path.join(root, 'plugins', 'p');
      mkdirSync(plugin, { recursive: true });
      mkdirSync(path.join(root, 'node_modules', '@scope'), { recursive: true });
      mkdirSync(path.join(root, 'node_modules', 'plain'), { recursive: true });
      mkdirSync(path.join(root, 'packages', 'linked'), { recursive: true });
      mkdirSync(path.join(root, 'packages', 'scoped'), { recursive: true });
      symlinkSync(path.join(root, 'packages', 'linked'), path.join(root, 'node_modules', 'linked'));
      symlinkSync(path.join(root, 'packages', 'scoped'), path.join(root, 'node_modules', '@scope', 'scoped'));
      const paths = ancestorModulePaths(plugin);
      expect(paths).toEqual(
        expect.arrayContaining([path.join(root, 'node_modules'), path.join(root, 'packages', 'linked'), path.join(root, 'packages', 'scoped')]),
      );
      expect(paths).not.toContain(path.join(root, 'packages'));
      expect(paths.some((p) => p.startsWith(plugin))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('ancestor node_modules grants do not follow links out', () => {
  let root: string;
  let plugin: string;
  beforeEach(() => {
    root = realpathSync(mkdtempSync(path.join(tmpdir(), 'clawdesk-modules-')));
    plugin = path.join(root, 'plugins', 'p');
    mkdirSync(plugin, { recursive: true });
    mkdirSync(path.join(root, 'node_modules', 'plain'), { recursive: true });
    mkdirSync(path.join(root, 'packages', 'linked'), { recursive: true });
    symlinkSync(path.join(root, 'packages', 'linked'), path.join(root, 'node_modules', 'linked'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test.each([
    ['/', () => '/'],
    ['the folder holding node_modules', () => root],
    ['an ancestor of the plugin', () => path.join(root, 'plugins')],
    ['a dir outside the folder holding node_modules', () => tmpdir()],
  ])('a node_modules link to %s is not granted, and neither is node_modules as a whole', (_label, target) => {
    symlinkSync(target(), path.join(root, 'node_modules', 'zz'));
    const paths = ancestorModulePaths(plugin);
    expect(paths).not.toContain(path.join(root, 'node_modules'));
    expect(paths).not.toContain(path.join(root, 'node_modules', 'zz'));
    expect(paths).not.toContain(target());
    // Everything else still resolves: the real package dir and the sane link, by its path and its target.
    expect(paths).toEqual(
      expect.arrayContaining([path.join(root, 'node_modules', 'plain'), path.join(root, 'node_modules', 'linked'), path.join(root, 'packages', 'linked')]),
    );
    expect(paths.some((p) => p === '/' || p === root)).toBe(false);
  });

  test('a scoped link out is left out too', () => {
    mkdirSync(path.join(root, 'node_modules', '@scope'));
    symlinkSync('/', path.join(root, 'node_modules', '@scope', 'zz'));
    const paths = ancestorModulePaths(plugin);
    expect(paths).not.toContain(path.join(root, 'node_modules'));
    expect(paths).not.toContain(path.join(root, 'node_modules', '@scope'));
    expect(paths).not.toContain('/');
    expect(paths).toContain(path.join(root, 'node_modules', 'plain'));
  });
});

describe('deno grant lists', () => {
  test.each([
    ['permissions.fs.read', './data,/etc', { fs: { read: ['./data,/etc'] } }],
    ['permissions.fs.write', './out,/tmp', { fs: { write: ['./out,/tmp'] } }],
  ])('a comma in %s fails the load with LOAD_FAILED naming the field, before deno runs', async (field, value, permissions) => {
    const m = fixtureManifest('fs-escape', { runtime: 'deno', permissions });
    const error = await createProcessDriver({ runtimes: { deno: '/bin/true' } })
      .instantiate(m, createTestContext(m))
      .then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
    expect(error?.code).toBe('LOAD_FAILED');
    expect(error?.message).toContain(`${field} "${value}" contains a comma`);
  });
});

describe('enforcement(manifest) without the OS sandbox (the runtime model alone)', () => {
  const driver = createProcessDriver({ isolation: 'off' });
  const OFF = 'no OS isolation: turned off (isolation: "off")';
  const levels = (m: typeof manifest) => {
    const { reasons: _reasons, ...rest } = driver.enforcement(m);
    return rest;
  };

  test.each([[[]], [['127.0.0.1:8080', '[::1]:80', '::1', '93.184.216.34']]])('deno enforces the network when allowedHosts lists no names (%j)', (allowedHosts) => {
    const m = { ...manifest, runtime: 'deno' as const, permissions: { ...manifest.permissions, network: { allowedHosts } } };
    expect(driver.enforcement(m)).toMatchObject({ network: 'enforced' });
    expect(driver.enforcement(m).reasons?.network).toBeUndefined();
  });

  test('node enforces the file system, env and timeouts, caps only the heap, and says it cannot restrict the network', () => {
    expect(levels(manifest)).toEqual({
      network: 'not-enforced',
      fsRead: 'enforced',
      fsWrite: 'enforced',
      env: 'enforced',
      memory: 'partial',
      timeout: 'enforced',
    });
    expect(driver.enforcement(manifest).reasons).toEqual({
      network: `${OFF}; Node has no network permission: fetch and sockets are not blocked`,
      memory: `${OFF}; the heap limit covers the JavaScript heap only, not Buffers or native memory`,
    });
  });

  test('deno enforces the network only partly when allowedHosts lists names: it does not check what they resolve to', () => {
    const report = driver.enforcement({ ...manifest, runtime: 'deno' });
    expect(report).toMatchObject({ network: 'partial', fsRead: 'enforced', fsWrite: 'enforced', env: 'enforced', memory: 'partial', timeout: 'enforced' });
    expect(report.reasons?.network).toMatch(/matches host names only: a listed name that resolves to a loopback or private address/);
  });

  test('bun enforces only timeouts; env is partial because /proc/<ppid>/environ stays readable', () => {
    expect(levels({ ...manifest, runtime: 'bun' })).toEqual({
      network: 'not-enforced',
      fsRead: 'not-enforced',
      fsWrite: 'not-enforced',
      env: 'partial',
      memory: 'not-enforced',
      timeout: 'enforced',
    });
    expect(driver.enforcement({ ...manifest, runtime: 'bun' }).reasons?.env).toContain('/proc/<pid>/environ');
  });

  test('allowing child processes downgrades what node and deno enforce to partial', () => {
    const spawning = { ...manifest, extra: { allowChildProcess: true } };
    expect(driver.enforcement(spawning)).toMatchObject({ fsRead: 'partial', fsWrite: 'partial', env: 'partial' });
    expect(driver.enforcement({ ...spawning, runtime: 'deno' })).toMatchObject({ network: 'partial', fsRead: 'partial', fsWrite: 'partial', env: 'partial' });
  });
});

describe('enforcement(manifest) with the OS sandbox (this machine has it: Linux, root)', () => {
  const driver = createProcessDriver();

  test.each(['node', 'bun', 'deno'] as const)('%s: every permission is enforced, each with the mechanism as its reason, child processes included', (runtime) => {
    for (const m of [
      { ...manifest, runtime },
      { ...manifest, runtime, extra: { allowChildProcess: true } },
    ]) {
      const report = driver.enforcement(m);
      expect(report).toMatchObject({ network: 'enforced', fsRead: 'enforced', fsWrite: 'enforced', env: 'enforced', memory: 'enforced', timeout: 'enforced' });
      expect(report.reasons).toMatchObject({
        network: expect.stringContaining('network namespace'),
        fsRead: expect.stringContaining('mount namespace'),
        memory: expect.stringMatching(/memory cgroup v[12] caps the whole process tree/),
      });
    }
  });

  test("allowedHosts: [] is reported as no network at all", () => {
    const m = { ...manifest, permissions: { ...manifest.permissions, network: { allowedHosts: [] } } };
    expect(driver.enforcement(m).reasons?.network).toBe('network namespace with loopback only: no network at all');
  });

});

describe('a machine without the OS layer', () => {
  const missing = () => ({ available: false as const, platform: 'linux' as const, reason: 'unshare not found on PATH', install: 'install util-linux' });
  const request = () => {
    const m = { ...manifest, runtime: 'node' as const };
    const ctx = createTestContext(m);
    return { manifest: m, runtime: 'node' as const, launch: { file: process.execPath, args: [], cwd: m.dir, env: {} }, readOnly: [], readWrite: [], logger: ctx.logger, ctx };
  };

  test("isolation: 'require' refuses the plugin with ISOLATION_UNAVAILABLE naming what is missing and what to install", () => {
    const isolation = new OsIsolation({ mode: 'require', probe: missing, egress: unixSocketEgress() });
    expect(() => isolation.forPlugin(request(), { plugin: 'p', driver: 'process' })).toThrow(
      expect.objectContaining({ code: 'ISOLATION_UNAVAILABLE', plugin: 'p', data: { missing: 'unshare not found on PATH', install: 'install util-linux' } }),
    );
  });

  test("isolation: 'prefer' runs the plugin without it and warns once per driver, saying why", () => {
    const isolation = new OsIsolation({ mode: 'prefer', probe: missing, egress: unixSocketEgress() });
    const first = request();
    expect(isolation.forPlugin(first, { plugin: 'p' })).toBeUndefined();
    expect(isolation.forPlugin(request(), { plugin: 'q' })).toBeUndefined();
    const warnings = first.ctx.logger.entries.filter((e) => e.level === 'warn');
    expect(warnings).toEqual([
      expect.objectContaining({ message: 'process plugins run without OS isolation: only the runtime permission model applies', fields: expect.objectContaining({ reason: 'unshare not found on PATH' }) }),
    ]);
    expect(isolation.unavailableReason()).toBe('no OS isolation: unshare not found on PATH');
  });
});

describe('enforcement(manifest) of other sandboxes', () => {
  const driver = createProcessDriver();

  test('a manifest this driver does not run gets nothing claimed', () => {
    const wasm = { ...manifest, runtime: 'wasm' as const, sandbox: 'wasm' as const };
    expect(driver.supports(wasm)).toBe(false);
    expect(Object.values(driver.enforcement(wasm))).toEqual(Array(6).fill('not-enforced'));
    expect(driver.supports(manifest)).toBe(true);
    expect(driver.supports({ ...manifest, sandbox: 'native' })).toBe(false);
    // OpenClaw plugins are not stdio servers; @clawdesk/openclaw's driver runs them.
    expect(driver.supports({ ...manifest, format: 'openclaw' })).toBe(false);
  });
});
