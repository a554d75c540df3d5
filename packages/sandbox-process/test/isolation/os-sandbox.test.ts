import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExitInfo } from '@clawdesk/sandbox';
import { echoManifest, eventually, fixtureManifest, opts, settle, start } from '../support/plugins.js';
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

  describe('with a local listener on the host', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket.once('close', () => sockets.delete(socket)));
        socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
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
