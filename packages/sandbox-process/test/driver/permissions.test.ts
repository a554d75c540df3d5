import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR, fixtureManifest, opts, settle, start, type Started } from '../support/plugins.js';
import { removeHostDataDirs, runHost } from '../support/host-process.js';

const SECRET = 'clawdesk-test-secret-4f9a1c';
const outside = path.join(FIXTURES_DIR, 'fs-escape', 'escaped.txt');

describe('permissions', () => {
  afterEach(() => rmSync(outside, { force: true }));
  afterAll(removeHostDataDirs);

  test.each([
    ['node', { permission: 'FileSystemRead', resource: '/etc/passwd' }],
    ['deno', {}],
  ] as const)('on %s, reading /etc/passwd rejects with PermissionDeniedError and the plugin stays usable', async (runtime, detail) => {
    const { instance, ctx, close } = await start(fixtureManifest('fs-escape', { runtime }));
    try {
      const denied = (await settle(instance.callTool('read', { file: '/etc/passwd' }, opts()))) as { ok: boolean; error: any };
      expect(denied.ok).toBe(false);
      expect(denied.error.code).toBe('PERMISSION_DENIED');
      expect(denied.error.message).toMatch(/^plugin "fs-escape", tool "read" permission denied: /);
      expect(denied.error.data).toMatchObject({ rpcCode: -32003, ...detail });

      const wrote = await instance.callTool('writeData', {}, opts());
      expect(wrote.structuredContent).toEqual({ wrote: path.join(ctx.dataDir, 'note.txt') });
      expect(readFileSync(path.join(ctx.dataDir, 'note.txt'), 'utf8')).toBe('mine');
    } finally {
      await close();
    }
  });

  test.each(['node', 'deno'] as const)('on %s, writing outside the data dir and fs.write is denied and nothing is written', async (runtime) => {
    const { instance, close } = await start(fixtureManifest('fs-escape', { runtime }));
    try {
      for (const file of [outside, '/tmp/clawdesk-escape.txt']) {
        const denied = (await settle(instance.callTool('write', { file }, opts()))) as { error: any };
        expect(denied.error.code).toBe('PERMISSION_DENIED');
        expect(existsSync(file)).toBe(false);
      }
      expect((await instance.callTool('read', { file: path.join(FIXTURES_DIR, 'fs-escape', 'plugin.mjs') }, opts())).isError).toBeUndefined();
    } finally {
      await close();
    }
  });

  test('fs.write grants writing inside the plugin dir', async () => {
    const { instance, close } = await start(fixtureManifest('fs-escape', { permissions: { fs: { write: ['./escaped.txt'] } } }));
    try {
      expect((await instance.callTool('write', { file: outside }, opts())).structuredContent).toEqual({ wrote: outside });
      expect(readFileSync(outside, 'utf8')).toBe('escaped');
    } finally {
      await close();
    }
  });

  test.each([
    ['node', 'where process.env holds only PATH, HOME, NO_COLOR and the declared variable', { value: ['DECLARED_VAR', 'HOME', 'NO_COLOR', 'PATH'] }, { value: null }, 'ERR_ACCESS_DENIED'],
    ['deno', 'where undeclared variables cannot even be asked for', { error: 'NotCapable' }, { error: 'NotCapable' }, 'NotCapable'],
  ] as const)(
    "on %s, a secret in the host's environment reaches the plugin neither through process.env nor through /proc/<ppid>/environ, %s",
    async (runtime, _how, all, secret, environError) => {
      const { report, host } = await runHost(
        'env-read',
        { runtime, permissions: { env: ['DECLARED_VAR'] } },
        { tool: 'env', args: { names: ['DECLARED_VAR', 'HOST_SECRET'] } },
        'dispose',
        { HOST_SECRET: SECRET, DECLARED_VAR: 'visible' },
      );
      await host;
      const seen = report.result.structuredContent;
      expect(JSON.stringify(report)).not.toContain(SECRET);
      expect('value' in all ? { value: Object.keys(seen.all.value).sort() } : seen.all).toEqual(all);
      expect(seen.named).toEqual({ DECLARED_VAR: { value: 'visible' }, HOST_SECRET: secret });
      expect(seen.parentEnviron).toEqual({ error: environError });
    },
  );

  test("on bun without the OS sandbox the environment is scrubbed but /proc/<ppid>/environ leaks the host's, which is why env is then 'partial'", async () => {
    const { report, host } = await runHost(
      'env-read',
      { runtime: 'bun' },
      { tool: 'env', args: { names: ['HOST_SECRET'] } },
      'dispose',
      { HOST_SECRET: SECRET },
      'off',
    );
    await host;
    const seen = report.result.structuredContent;
    expect(JSON.stringify(seen.all)).not.toContain(SECRET);
    expect(seen.named).toEqual({ HOST_SECRET: { value: null } });
    expect(seen.parentEnviron.value).toContain(`HOST_SECRET=${SECRET}`);
  });

  test("on bun in the OS sandbox the host's environment is out of reach: no parent process to read", async () => {
    const { report, host } = await runHost('env-read', { runtime: 'bun' }, { tool: 'env', args: { names: ['HOST_SECRET'] } }, 'dispose', {
      HOST_SECRET: SECRET,
    });
    await host;
    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(report.result.structuredContent.parentEnviron.value).toBeUndefined();
  });
});

test('node:sqlite, which the permission model does not cover, cannot be loaded by a node plugin', async () => {
  const { instance, close } = await start(fixtureManifest('fs-escape'));
  try {
    const result = await instance.callTool('sqlite', {}, opts());
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/No such built-in module: node:sqlite/);
  } finally {
    await close();
  }
});

describe('fs permissions through symlinks', () => {
  const dir = path.join(path.dirname(FIXTURES_DIR), '..', '.tmp', 'symlinked-fs');
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(FIXTURES_DIR, 'fs-escape', 'plugin.mjs'), path.join(dir, 'plugin.mjs'));
    symlinkSync('/etc', path.join(dir, 'data'));
    mkdirSync(path.join(dir, 'inside'), { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const at = (fs: { read?: string[]; write?: string[] }) => {
    const m = fixtureManifest('fs-escape');
    return { ...m, dir, permissions: { ...m.permissions, fs: { read: fs.read ?? [], write: fs.write ?? [] } } };
  };

  test.each([
    ['fs.read', { read: ['./data'] }],
    ['fs.write', { write: ['./data'] }],
  ])('a %s dir that is a symlink to outside the plugin fails the load, naming the real path', async (field, fs) => {
    const outcome = (await settle(start(at(fs)))) as { ok: boolean; error: any };
    expect(outcome.ok).toBe(false);
    expect(outcome.error.code).toBe('LOAD_FAILED');
    expect(outcome.error.message).toContain(`permissions.${field} "./data" resolves to /etc`);
  });

});

describe('symlinks shipped in the plugin dir', () => {
  const shipped = path.join(path.dirname(FIXTURES_DIR), '..', '.tmp', 'shipped-links');
  const at = (fs: { read?: string[]; write?: string[] }) => {
    const m = fixtureManifest('fs-escape');
    return { ...m, permissions: { ...m.permissions, fs: { read: fs.read ?? [], write: fs.write ?? [] } } };
  };
  beforeAll(() => {
    mkdirSync(path.join(shipped, 'inside'), { recursive: true });
    copyFileSync(path.join(FIXTURES_DIR, 'fs-escape', 'plugin.mjs'), path.join(shipped, 'plugin.mjs'));
  });
  afterAll(() => rmSync(shipped, { recursive: true, force: true }));

  test('a symlink to a dir inside the plugin is still granted, as an fs.read dir and as a link inside', async () => {
    symlinkSync(path.join(shipped, 'inside'), path.join(shipped, 'linked-inside'));
    const { instance, close } = await start({ ...at({ read: ['./linked-inside'] }), dir: shipped });
    try {
      expect(instance.pid).toBeGreaterThan(0);
    } finally {
      await close();
      rmSync(path.join(shipped, 'linked-inside'));
    }
  });

  test.each(['node', 'deno'] as const)('on %s, a symlink shipped in the plugin dir that leads to / fails the load, naming the link', async (runtime) => {
    symlinkSync('/', path.join(shipped, 'inside', 'rootfs'));
    try {
      const outcome = (await settle(start({ ...at({}), dir: shipped, runtime }))) as { ok: boolean; error: any; value?: Started };
      if (outcome.ok) {
        // Before links were checked: the plugin read the machine's files through the link.
        const read = await outcome.value!.instance.callTool('read', { file: path.join(shipped, 'inside', 'rootfs', 'etc', 'passwd') }, opts());
        await outcome.value!.close();
        throw new Error(`loaded, and read through the link: ${JSON.stringify(read).slice(0, 80)}`);
      }
      expect(outcome.error.code).toBe('LOAD_FAILED');
      expect(outcome.error.message).toContain(`${path.join(shipped, 'inside', 'rootfs')} -> /`);
      expect(outcome.error.data.links).toEqual([{ link: path.join(shipped, 'inside', 'rootfs'), target: '/' }]);
    } finally {
      rmSync(path.join(shipped, 'inside', 'rootfs'));
    }
  });

  test('a symlink in an fs.write dir that leads to a read-only part of the plugin fails the load', async () => {
    mkdirSync(path.join(shipped, 'out'), { recursive: true });
    symlinkSync(path.join(shipped, 'inside'), path.join(shipped, 'out', 'to-inside'));
    try {
      const outcome = (await settle(start({ ...at({ write: ['./out'] }), dir: shipped }))) as { ok: boolean; error: any; value?: Started };
      if (outcome.ok) await outcome.value!.close();
      expect(outcome.ok).toBe(false);
      expect(outcome.error.message).toContain(`${path.join(shipped, 'out', 'to-inside')} -> ${path.join(shipped, 'inside')}`);
    } finally {
      rmSync(path.join(shipped, 'out'), { recursive: true });
    }
  });

});
