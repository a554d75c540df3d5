import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExitInfo } from '@clawdesk/sandbox';
import { echoManifest, eventually, FIXTURES_DIR, fixtureManifest, opts, settle, start } from '../support/plugins.js';
import { removeHostDataDirs, runHost } from '../support/host-process.js';
import { processesMentioning } from '../support/processes.js';
import { probeIsolation } from '../../src/isolation/detect.js';

// These tests are about the OS layer itself: they need a machine that has it (CI: Linux, root).
const probe = probeIsolation();
if (!probe.available) throw new Error(`OS isolation is unavailable here: ${probe.reason}`);

const RUNTIMES = ['node', 'bun', 'deno'] as const;
const SPAWNING = { allowChildProcess: true };
const marker = (what: string) => `clawdesk-marker-${what}-${process.pid}-${Math.random().toString(36).slice(2)}`;

let outside: string;
beforeAll(() => {
  outside = mkdtempSync(path.join(tmpdir(), 'clawdesk-outside-'));
  writeFileSync(path.join(outside, 'secret.txt'), 'host secret');
});
afterAll(() => {
  rmSync(outside, { recursive: true, force: true });
  removeHostDataDirs();
});

/** Starts a plugin with a granted host and finds its egress socket the way the host can: in its sandbox chain's argv. */
async function startWithDoor(m: Parameters<typeof start>[0]) {
  const started = await start(m);
  const argv = readFileSync(`/proc/${started.instance.pid}/cmdline`, 'utf8');
  const dir = /(\/[^\0=:]*\/clawdesk-egress-[^/\0]+\/[0-9a-f]{32})\/forward\.mjs/.exec(argv)?.[1];
  expect(dir).toBeDefined();
  return { ...started, socket: path.join(dir!, 'egress.sock') };
}

describe.each(RUNTIMES)('the OS sandbox contains a hostile %s plugin', (runtime) => {
  const manifest = (doc: Record<string, unknown> = {}) => fixtureManifest('os-escape', { runtime, ...SPAWNING, ...doc });

  test('it runs as pid 1 of its own pid namespace and cannot see the host processes or their environment', async () => {
    process.env.CLAWDESK_HOST_SECRET = 'hunter2';
    const { instance, close } = await start(manifest());
    try {
      const call = async (tool: string, args: unknown) => (await instance.callTool(tool, args, opts())).structuredContent as any;
      expect((await call('pid', {})).pid).toBe(1);
      const host = await call('read', { path: `/proc/${process.pid}/environ` });
      expect(host.ok && String(host.value).includes('hunter2')).toBe(false);
      const procs = await call('list', { path: '/proc' });
      const pids = procs.ok ? (procs.value as string[]).filter((e) => /^\d+$/.test(e)) : [];
      expect(pids.map(Number).includes(process.pid)).toBe(false);
      // The host is not even addressable: no signal can reach it (signal 0 only checks).
      expect(await call('probeSignal', { pid: process.pid })).toMatchObject({ ok: false, code: 'ESRCH' });
    } finally {
      delete process.env.CLAWDESK_HOST_SECRET;
      await close();
    }
  });

  test('host files outside its grants are invisible and cannot be written; its data dir is writable', async () => {
    const { instance, ctx, close } = await start(manifest());
    try {
      const call = async (tool: string, args: unknown) => (await instance.callTool(tool, args, opts())).structuredContent as any;
      expect(await call('read', { path: path.join(outside, 'secret.txt') })).toMatchObject({ ok: false });
      expect((await call('list', { path: '/root' })).ok).toBe(false);
      const hostPasswd = await call('read', { path: '/etc/passwd' });
      expect(hostPasswd.ok && /^[a-z_][^:]*:x:[1-9]\d{2,}:/m.test(hostPasswd.value) && !hostPasswd.value.includes('nobody:x:65534')).toBe(false);
      expect((await call('write', { path: path.join(outside, 'dropped.txt') })).ok).toBe(false);
      expect(existsSync(path.join(outside, 'dropped.txt'))).toBe(false);
      expect((await call('write', { path: path.join(manifest().dir, 'dropped.txt') })).ok).toBe(false);
      expect(existsSync(path.join(manifest().dir, 'dropped.txt'))).toBe(false);
      expect((await call('write', { path: path.join(ctx.dataDir, 'mine.txt') })).ok).toBe(true);
      expect(existsSync(path.join(ctx.dataDir, 'mine.txt'))).toBe(true);
    } finally {
      await close();
    }
  });

  test("a single file granted inside the host's /tmp is readable, not writable, and its neighbours stay hidden", async () => {
    // The private /tmp hides the host's, so this grant's mountpoint is made inside it at start.
    const granted = path.join(outside, 'granted.txt');
    writeFileSync(granted, 'for the plugin');
    const m = manifest();
    // Set past validation, which takes paths relative to the plugin dir: the driver resolves them the same way.
    const { instance, close } = await start({ ...m, permissions: { ...m.permissions, fs: { read: [granted], write: [] } } });
    try {
      const call = async (tool: string, args: unknown) => (await instance.callTool(tool, args, opts())).structuredContent as any;
      expect(await call('read', { path: granted })).toMatchObject({ ok: true, value: 'for the plugin' });
      expect(await call('read', { path: path.join(outside, 'secret.txt') })).toMatchObject({ ok: false });
      expect((await call('write', { path: granted })).ok).toBe(false);
      expect(readFileSync(granted, 'utf8')).toBe('for the plugin');
    } finally {
      await close();
    }
  });

  test('a granted dir that holds the plugin dir can be listed, as can the plugin dir', async () => {
    const m = manifest();
    const parent = path.dirname(m.dir);
    const { instance, close } = await start({ ...m, permissions: { ...m.permissions, fs: { read: [parent], write: [] } } });
    try {
      const call = async (tool: string, args: unknown) => (await instance.callTool(tool, args, opts())).structuredContent as any;
      expect(await call('list', { path: parent })).toMatchObject({ ok: true, value: expect.arrayContaining([path.basename(m.dir)]) });
      expect(await call('list', { path: m.dir })).toMatchObject({ ok: true, value: expect.arrayContaining(['plugin.mjs']) });
    } finally {
      await close();
    }
  });

  test('a link it puts above a nested grant of its own fs.write dir is not followed when its process is restarted', async () => {
    // fs.write ['w', 'w/a/<name>']: the plugin may write w, so it can move w/a (not itself a
    // mountpoint) aside and put `w/a -> <host tmp dir>` there. The restart after a timed-out call
    // must not resolve the nested grant again, to the host's <tmp>/<name>, and bind that writable.
    const dir = mkdtempSync(path.join(path.dirname(FIXTURES_DIR), '..', '.tmp-relink-'));
    const name = path.basename(outside);
    try {
      copyFileSync(path.join(FIXTURES_DIR, 'os-escape', 'plugin.mjs'), path.join(dir, 'plugin.mjs'));
      mkdirSync(path.join(dir, 'w'));
      const m = manifest();
      const { instance, close } = await start({ ...m, dir, permissions: { ...m.permissions, fs: { read: [], write: ['./w', `./w/a/${name}`] } } });
      try {
        const call = async (tool: string, args: unknown) => (await instance.callTool(tool, args, opts())).structuredContent as any;
        // Node's and deno's own models refuse the link; bun makes it, and only the OS layer is left.
        const relinked = await call('relink', { path: path.join(dir, 'w', 'a'), target: tmpdir() });
        if (runtime === 'bun') expect(relinked).toMatchObject({ ok: true });
        expect((await settle(instance.callTool('hang', {}, opts(300)))).ok).toBe(false);
        const through = path.join(dir, 'w', 'a', name);
        const read = await settle(instance.callTool('read', { path: path.join(through, 'secret.txt') }, opts()));
        await settle(instance.callTool('write', { path: path.join(through, 'dropped.txt') }, opts()));
        // Before: bun read the host's secret and wrote there. Now the restart is refused instead.
        expect({ read: read.ok && (read.value.structuredContent as any).value, wrote: existsSync(path.join(outside, 'dropped.txt')) }).toEqual({
          read: expect.not.stringMatching(/host secret/),
          wrote: false,
        });
      } finally {
        await close();
      }
    } finally {
      rmSync(path.join(outside, 'dropped.txt'), { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('with a local listener on the host', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      // An HTTP server answers once it has read the request head: a response sent the moment the
      // connection opens reaches fetch before its request went out, and undici retries, then gives up.
      server = createServer((socket) => {
        sockets.add(socket.once('close', () => sockets.delete(socket)));
        let head = '';
        socket.setEncoding('latin1').on('data', (chunk: string) => {
          head += chunk;
          if (!socket.writableEnded && head.includes('\r\n\r\n')) socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    const sockets = new Set<Socket>();
    afterAll(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });

    test('with allowedHosts: [] neither raw TCP nor fetch reaches it', async () => {
      const { instance, close } = await start(manifest({ permissions: { network: { allowedHosts: [] } } }));
      try {
        const call = async (tool: string, args: unknown) => (await instance.callTool(tool, args, opts())).structuredContent as any;
        expect(await call('connect', { host: '127.0.0.1', port })).toMatchObject({ ok: false });
        expect(await call('fetch', { url: `http://127.0.0.1:${port}/` })).toMatchObject({ ok: false });
      } finally {
        await close();
      }
    });

    test('an allowed 127.0.0.1:<port> is reached by fetch through the egress proxy; other ports and raw TCP are not', async () => {
      const { instance, close } = await start(manifest({ permissions: { network: { allowedHosts: [`127.0.0.1:${port}`] } } }));
      try {
        const call = async (tool: string, args: unknown) => (await instance.callTool(tool, args, opts())).structuredContent as any;
        expect(await call('fetch', { url: `http://127.0.0.1:${port}/` })).toMatchObject({ ok: true, status: 200, body: 'ok' });
        // Not allowed: the proxy answers 403 (or the runtime refuses first); either way no body from the host's listener.
        const other = await call('fetch', { url: `http://127.0.0.1:${port + 1}/` });
        expect(other.ok && other.status === 200).toBe(false);
        // Raw TCP has no route out of the namespace, allowed or not: only the proxy is reachable.
        expect(await call('connect', { host: '127.0.0.1', port })).toMatchObject({ ok: false });
      } finally {
        await close();
      }
    });

    test('its egress socket, used directly, admits only its allowedHosts and cannot be removed; no other plugin reaches it', async () => {
      const granted = { permissions: { network: { allowedHosts: [`127.0.0.1:${port}`] } } };
      const { instance, close, socket } = await startWithDoor(manifest(granted));
      const other = await start(manifest(granted));
      try {
        const call = async (tool: string, args: unknown) => (await instance.callTool(tool, args, opts())).structuredContent as any;
        // The plugin cannot replace its forwarder: the port is taken before its code runs.
        expect(await call('listen', { port: 3128 })).toMatchObject({ ok: false });
        const connect = (target: string) => `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`;
        expect((await call('unixExchange', { path: socket, data: connect(`127.0.0.1:${port}`) })).text).toMatch(/^HTTP\/1\.1 200 /);
        expect((await call('unixExchange', { path: socket, data: connect(`127.0.0.1:${port + 1}`) })).text).toMatch(/^HTTP\/1\.1 403 /);
        expect((await call('unixExchange', { path: socket, data: connect('10.0.0.1:80') })).text).toMatch(/^HTTP\/1\.1 403 /);
        expect(await call('unlink', { path: socket })).toMatchObject({ ok: false });
        expect(await call('write', { path: socket })).toMatchObject({ ok: false });
        expect(await call('fetch', { url: `http://127.0.0.1:${port}/` })).toMatchObject({ ok: true, status: 200, body: 'ok' });
        // The same path in another plugin's sandbox is nothing: each sees only its own door.
        // (deno's own model refuses it first, node and bun find nothing there).
        const theirs = await settle(other.instance.callTool('unixExchange', { path: socket, data: connect(`127.0.0.1:${port}`) }, opts()));
        const reached = theirs.ok && String((theirs.value.structuredContent as any).text).startsWith('HTTP/1.1 200');
        expect(reached).toBe(false);
        // On the host the socket's dir cannot be listed without privileges: its random name is the secret.
        expect(existsSync(socket)).toBe(true);
        expect(statSync(path.dirname(path.dirname(socket))).mode & 0o777).toBe(0o311);
      } finally {
        await other.close();
        await close();
      }
    });

    test("write on the host's tmp dir, or a dir holding it, is refused at load, naming the grant", async () => {
      const m = manifest();
      for (const granted of [tmpdir(), '/']) {
        const outcome = (await settle(start({ ...m, permissions: { ...m.permissions, fs: { read: [], write: [granted] } } }))) as { ok: boolean; error: any };
        expect(outcome.ok).toBe(false);
        expect(outcome.error).toMatchObject({ code: 'LOAD_FAILED', data: { field: 'permissions.fs.write', path: granted } });
        expect(outcome.error.message).toMatch(/holds the host's tmp dir .* private \/tmp of its own; grant a dir inside/);
      }
    });

    test("a plugin granted the host's tmp dir cannot open another plugin's start dirs (egress door, root skeleton)", async () => {
      const victim = await startWithDoor(manifest({ permissions: { network: { allowedHosts: [`127.0.0.1:${port}`] } } }));
      const m = manifest();
      // Set past validation, which takes paths relative to the plugin dir: the driver resolves them the same way.
      const attacker = await start({ ...m, permissions: { ...m.permissions, fs: { read: [tmpdir()], write: [] } } });
      try {
        const call = async (tool: string, args: unknown) => (await attacker.instance.callTool(tool, args, opts())).structuredContent as any;
        const listing = await call('list', { path: tmpdir() });
        expect(listing.ok).toBe(true);
        const startDirs = (listing.value as string[]).filter((name) => /^clawdesk-(egress|mounts)-\d+-/.test(name));
        expect(startDirs).toContain(path.basename(path.dirname(path.dirname(victim.socket))));
        for (const name of startDirs) {
          const dir = path.join(tmpdir(), name);
          // It can neither list one nor make it listable, so the random name of the dir inside (the
          // door's socket, the root skeleton) stays a secret.
          expect(await call('chmod', { path: dir, mode: 0o700 })).toMatchObject({ ok: false });
          expect(await call('list', { path: dir })).toMatchObject({ ok: false });
        }
        const victimCall = async (tool: string, args: unknown) => (await victim.instance.callTool(tool, args, opts())).structuredContent as any;
        expect(await victimCall('fetch', { url: `http://127.0.0.1:${port}/` })).toMatchObject({ ok: true, status: 200 });
      } finally {
        await attacker.close();
        await victim.close();
      }
    });

    test('a flood of connections to its egress socket is capped by the proxy, and a plugin beside it still answers', async () => {
      const healthy = await start(await echoManifest(runtime));
      const { instance, close, socket } = await startWithDoor(manifest({ permissions: { network: { allowedHosts: [`127.0.0.1:${port}`] } } }));
      try {
        const call = async (tool: string, args: unknown) => (await instance.callTool(tool, args, opts(30_000))).structuredContent as any;
        // 150 silent connections: the proxy holds its cap of 64 open and turns the rest away at once.
        expect(await call('floodUnix', { path: socket, count: 150 })).toEqual({ open: 64, '503': 86 });
        const echoed = await healthy.instance.callTool('echo', { still: 'here' }, opts());
        expect(echoed.structuredContent ?? echoed.content).toBeDefined();
        // Once the flood's connections have closed, the plugin's own traffic flows again.
        let fetched: any;
        for (let i = 0; i < 20 && !fetched?.ok; i++) {
          if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
          fetched = await call('fetch', { url: `http://127.0.0.1:${port}/` });
        }
        expect(fetched).toMatchObject({ ok: true, status: 200, body: 'ok' });
      } finally {
        await close();
        await healthy.close();
      }
    });

    if (runtime === 'node') {
      test('node: node:http requests go through the egress proxy as fetch does', async () => {
        const { instance, close } = await start(manifest({ permissions: { network: { allowedHosts: [`127.0.0.1:${port}`] } } }));
        try {
          const call = async (tool: string, args: unknown) => (await instance.callTool(tool, args, opts())).structuredContent as any;
          expect(await call('httpGet', { url: `http://127.0.0.1:${port}/` })).toMatchObject({ ok: true, status: 200, body: 'ok' });
          expect((await call('httpGet', { url: `http://127.0.0.1:${port + 1}/` })).status).toBe(403);
        } finally {
          await close();
        }
      });
    }

    test('a listed name that resolves to loopback is refused: only the address itself would be allowed', async () => {
      const { instance, close } = await start(manifest({ permissions: { network: { allowedHosts: [`localhost:${port}`] } } }));
      try {
        const call = async (tool: string, args: unknown) => (await instance.callTool(tool, args, opts())).structuredContent as any;
        const result = await call('fetch', { url: `http://localhost:${port}/` });
        expect(result.ok && result.status === 200 && result.body === 'ok').toBe(false);
      } finally {
        await close();
      }
    });
  });

  test('a setsid, double-forked grandchild is gone after dispose()', async () => {
    const { instance, close } = await start(manifest());
    const tag = marker('dispose');
    try {
      expect((await instance.callTool('spawnDetached', { marker: tag }, opts())).structuredContent).toMatchObject({ ok: true });
      expect(await eventually(() => processesMentioning(tag).length > 0)).toBe(true);
    } finally {
      await close();
    }
    expect(await eventually(() => processesMentioning(tag).length === 0)).toBe(true);
  });

  test('a setsid grandchild is gone when the host itself is killed with SIGKILL', async () => {
    const tag = marker('sigkill');
    const { report, host } = await runHost('os-escape', { runtime, ...SPAWNING }, { tool: 'spawnDetached', args: { marker: tag } }, 'hang');
    expect(report.result?.structuredContent).toMatchObject({ ok: true });
    expect(await eventually(() => processesMentioning(tag).length > 0)).toBe(true);
    host.kill('SIGKILL');
    await host;
    expect(await eventually(() => processesMentioning(tag).length === 0)).toBe(true);
  });

  test('2 GB of Buffers under memoryMb: 128 end the call with MEMORY_LIMIT while a plugin beside it still answers', async () => {
    const healthy = await start(await echoManifest(runtime));
    const bomb = await start(manifest({ permissions: { memoryMb: 128 } }));
    const exits: ExitInfo[] = [];
    bomb.instance.onExit((info) => exits.push(info));
    try {
      const result = await settle(bomb.instance.callTool('allocate', { mb: 2048 }, opts(60_000)));
      expect(result.ok).toBe(false);
      expect((result as { error: any }).error).toMatchObject({
        code: 'MEMORY_LIMIT',
        plugin: 'os-escape',
        tool: 'allocate',
        data: { limitMb: 128, reason: 'memory' },
      });
      expect(exits).toMatchObject([{ reason: 'memory' }]);
      const echoed = await healthy.instance.callTool('echo', { still: 'here' }, opts());
      expect(echoed.structuredContent ?? echoed.content).toBeDefined();
    } finally {
      await bomb.close();
      await healthy.close();
    }
  });
});

test("the egress door of a host killed with SIGKILL is removed by the next driver's first start with a granted host", async () => {
  const granted = { runtime: 'node', permissions: { network: { allowedHosts: ['127.0.0.1:9'] } } };
  const { report, host } = await runHost('os-escape', granted, { tool: 'pid', args: {} }, 'hang');
  expect(report.result?.structuredContent).toMatchObject({ pid: 1 });
  const doors = () => readdirSync(tmpdir()).filter((name) => name.startsWith(`clawdesk-egress-${host.pid}-`));
  expect(doors()).toHaveLength(1);
  host.kill('SIGKILL');
  await host.catch(() => undefined);
  expect(doors()).toHaveLength(1); // nobody was left to remove it
  const { close } = await start(fixtureManifest('os-escape', granted));
  try {
    expect(doors()).toEqual([]);
  } finally {
    await close();
  }
});
