import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createEgressDoor, forwarderSource, lazyNodeProxy, splitProxyEnv, withForwarder } from '../../src/isolation/forwarder.js';
import { removeOrphanedStartDirs } from '../../src/isolation/start-dirs.js';

const where = { plugin: 'p', driver: 'process' };

describe('the egress door', () => {
  test('a fresh unlistable dir holds a secret-named dir with the forwarder; remove() deletes it all', () => {
    const door = createEgressDoor(3128, 'node', {}, where);
    try {
      const outer = path.dirname(door.dir);
      expect(path.dirname(outer)).toBe(tmpdir());
      expect(path.basename(door.dir)).toMatch(/^[0-9a-f]{32}$/);
      expect(statSync(outer).mode & 0o777).toBe(0o311);
      expect(door.socket).toBe(path.join(door.dir, 'egress.sock'));
      expect(door.preload).toBe(path.join(door.dir, 'forward.mjs'));
      expect(readFileSync(door.preload, 'utf8')).toBe(forwarderSource(door.socket, 3128));
    } finally {
      door.remove();
    }
    expect(() => statSync(path.dirname(door.dir))).toThrow();
  });

  test("doors and mount tables a killed host left behind are removed; a live host's and this host's own stay", () => {
    const base = mkdtempSync(path.join(tmpdir(), 'clawdesk-door-test-'));
    try {
      // A pid that has just exited names no live process.
      const gone = spawnSync(process.execPath, ['-e', '']).pid!;
      const orphanName = `clawdesk-egress-${gone}-AbC123`;
      mkdirSync(path.join(base, orphanName, 'a'.repeat(32)), { recursive: true });
      chmodSync(path.join(base, orphanName), 0o311); // unlistable, as a live door is
      const orphanTables = `clawdesk-mounts-${gone}-XyZ789`;
      mkdirSync(path.join(base, orphanTables));
      writeFileSync(path.join(base, orphanTables, 'stage1.fstab'), 'clawdesk /srv tmpfs size=1m 0 0\n');
      const mine = path.basename(path.dirname(createEgressDoor(3128, 'node', {}, where, base).dir));
      mkdirSync(path.join(base, 'clawdesk-egress-1-live')); // pid 1 is alive
      mkdirSync(path.join(base, 'unrelated'));
      expect(removeOrphanedStartDirs(base).sort()).toEqual([orphanName, orphanTables].sort());
      expect(readdirSync(base).sort()).toEqual(['clawdesk-egress-1-live', mine, 'unrelated'].sort());
    } finally {
      for (const name of readdirSync(base)) chmodSync(path.join(base, name), 0o700);
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('a link planted under a start dir name is removed, and its target keeps its mode and content', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'clawdesk-door-test-'));
    try {
      const target = path.join(base, 'precious.txt');
      writeFileSync(target, 'keep me', { mode: 0o644 });
      const gone = spawnSync(process.execPath, ['-e', '']).pid!;
      symlinkSync(target, path.join(base, `clawdesk-egress-${gone}-planted`));
      symlinkSync(base, path.join(base, `clawdesk-mounts-${gone}-planted`));
      expect(removeOrphanedStartDirs(base).sort()).toEqual([`clawdesk-egress-${gone}-planted`, `clawdesk-mounts-${gone}-planted`]);
      expect(readFileSync(target, 'utf8')).toBe('keep me');
      expect(statSync(target).mode & 0o777).toBe(0o644);
      expect(readdirSync(base)).toEqual(['precious.txt']);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('a tmp dir whose path deno would split, or too long for a socket, is refused with what to do', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'clawdesk-door-test-'));
    try {
      for (const bad of ['a,b', 'x'.repeat(120)]) {
        mkdirSync(path.join(base, bad));
        expect(() => createEgressDoor(3128, 'node', {}, where, path.join(base, bad))).toThrow(/contains a comma or is longer than 107 bytes\): set TMPDIR to a short path/);
        // Nothing is left behind.
        expect(readdirSync(path.join(base, bad))).toEqual([]);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('the forwarder binds the namespace port and relays to the socket; the lazy node block only when asked', () => {
    const plain = forwarderSource('/s/"q".sock', 3128);
    expect(plain).toContain(`const socket = ${JSON.stringify('/s/"q".sock')};`);
    expect(plain).toContain('server.listen({ port: 3128, exclusive: true });');
    expect(plain).not.toContain('setGlobalProxyFromEnv');
    expect(forwarderSource('/s', 3128, { host: '127.0.0.1' })).toContain('server.listen({ host: "127.0.0.1", port: 3128, exclusive: true });');
    const lazy = forwarderSource('/s', 3128, { preloadEnv: { HTTP_PROXY: 'http://127.0.0.1:3128' } });
    expect(lazy).toContain('const preloadEnv = {"HTTP_PROXY":"http://127.0.0.1:3128"};');
    expect(lazy).toContain("process.getBuiltinModule('node:http').setGlobalProxyFromEnv();");
  });
});

describe('the forwarder in each runtime', () => {
  const door = { dir: '/t/d', socket: '/t/d/egress.sock', preload: '/t/d/forward.mjs', remove() {} };

  test('node preloads it with read access to its dir only; the entry and its args stay last', () => {
    expect(withForwarder('node', ['--permission', 'entry.mjs', '--allow-fs-read=/'], door, 3128)).toEqual([
      '--allow-fs-read=/t/d',
      '--import=file:///t/d/forward.mjs',
      '--permission',
      'entry.mjs',
      '--allow-fs-read=/',
    ]);
  });

  test('bun preloads it', () => {
    expect(withForwarder('bun', ['entry.mjs'], door, 3128)).toEqual(['--preload=/t/d/forward.mjs', 'entry.mjs']);
  });

  test('deno preloads it after `run`, granted the port and the socket alone', () => {
    expect(withForwarder('deno', ['run', '--no-prompt', 'entry.ts'], door, 3128)).toEqual([
      'run',
      '--allow-net=127.0.0.1:3128,unix:/t/d/egress.sock',
      '--allow-read=/t/d/egress.sock',
      '--allow-write=/t/d/egress.sock',
      '--preload=file:///t/d/forward.mjs',
      '--no-prompt',
      'entry.ts',
    ]);
  });

  test("node's proxy variables move into the preload only for this very node; everything else gets them all", () => {
    const all = splitProxyEnv(3128, false);
    expect(all.preload).toEqual({});
    expect(all.launch).toMatchObject({ HTTP_PROXY: 'http://127.0.0.1:3128', HTTPS_PROXY: 'http://127.0.0.1:3128', NODE_USE_ENV_PROXY: '1', NO_PROXY: '' });
    const lazy = splitProxyEnv(3128, true);
    expect(lazy.launch).toEqual({ NODE_USE_ENV_PROXY: '1', NO_PROXY: '', no_proxy: '' });
    expect(Object.keys(lazy.preload).sort()).toEqual(['HTTPS_PROXY', 'HTTP_PROXY', 'http_proxy', 'https_proxy']);
    expect(lazyNodeProxy('node', process.execPath)).toBe(true);
    expect(lazyNodeProxy('node', '/other/node')).toBe(false);
    expect(lazyNodeProxy('bun', process.execPath)).toBe(false);
  });
});
