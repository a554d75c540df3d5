import { eventually, fixtureManifest, isAlive, opts, settle, start } from '../support/plugins.js';
import { removeHostDataDirs, runHost } from '../support/host-process.js';

const SPAWNING = { permissions: {}, allowChildProcess: true };
// These follow pids the plugin reports, which only mean something outside a pid namespace: they cover
// the process-group cleanup used without the OS sandbox. test/isolation/os-sandbox.test.ts covers it inside.
const OFF = { isolation: 'off' } as const;
const allGone = (pids: number[]) => eventually(() => pids.every((pid) => !isAlive(pid)), 8_000);

describe('no process is left behind (without the OS sandbox)', () => {
  afterAll(removeHostDataDirs);
  test('dispose() stops the plugin and every grandchild, including one that ignores SIGTERM', async () => {
    const { instance, close } = await start(fixtureManifest('spawn-children', SPAWNING), { driver: { killGraceMs: 300, ...OFF } });
    let pids: number[] = [];
    try {
      const { plugin, children } = (await instance.callTool('spawn', {}, opts())).structuredContent as { plugin: number; children: number[] };
      pids = [plugin, ...children];
      expect(pids.every(isAlive)).toBe(true);
    } finally {
      await close();
    }
    expect(await allGone(pids)).toBe(true);
  });

  test('a plugin that crashes takes its grandchildren with it', async () => {
    const { instance, close } = await start(fixtureManifest('spawn-children', SPAWNING), { driver: OFF });
    try {
      const { plugin, children } = (await instance.callTool('spawn', {}, opts())).structuredContent as { plugin: number; children: number[] };
      expect((await settle(instance.callTool('crash', {}, opts()))).ok).toBe(false);
      expect(await allGone([plugin, ...children])).toBe(true);
    } finally {
      await close();
    }
  });

  test('without extra.allowChildProcess a node plugin cannot spawn at all', async () => {
    const { instance, close } = await start(fixtureManifest('spawn-children'));
    try {
      const denied = (await settle(instance.callTool('spawn', {}, opts()))) as { error: any };
      expect(denied.error).toMatchObject({ code: 'PERMISSION_DENIED', data: { permission: 'ChildProcess' } });
    } finally {
      await close();
    }
  });

  test('a plugin that ignores SIGTERM is SIGKILLed after killGraceMs on dispose()', async () => {
    const { instance, ctx, close } = await start(fixtureManifest('ignores-sigterm'), { driver: { killGraceMs: 400 } });
    const pid = instance.pid!;
    const began = performance.now();
    await close();
    const took = performance.now() - began;
    expect(isAlive(pid)).toBe(false);
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(3_000);
    expect(ctx.logger.entries.some((e) => e.message === 'ignoring SIGTERM')).toBe(true);
  });

  test.each([
    ['exits without disposing', 'exit', undefined],
    ['is killed with SIGTERM', 'hang', 'SIGTERM'],
    ['is interrupted with SIGINT', 'hang', 'SIGINT'],
  ] as const)('a host that %s leaves no plugin process or grandchild behind', async (_what, then, signal) => {
    const { report, host } = await runHost('spawn-children', { runtime: 'node', allowChildProcess: true }, { tool: 'spawn' }, then, {}, 'off');
    const pids = [report.pid, report.result.structuredContent.plugin, ...report.result.structuredContent.children] as number[];
    if (signal) host.kill(signal);
    await host;
    expect(await allGone(pids)).toBe(true);
  });
});
