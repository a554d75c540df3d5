import { type PluginModule, simulateCrash } from '@clawdesk/sandbox';
import type { CrashEvent } from '../src/index.js';
import { manifest, rejection, sleep, until, withHost } from './helpers.js';

/** Fake-fast restart settings: 20 ms, then 40, capped at 60; the 4th crash within 30 s gives up. */
const FAST = { initialDelayMs: 20, factor: 2, maxDelayMs: 60, maxCrashes: 4, windowMs: 30_000 };

function crashy(opts: { failInstantiations?: number[] } = {}) {
  let instances = 0;
  const factory = (): PluginModule => {
    const id = ++instances;
    if (opts.failInstantiations?.includes(id)) throw new Error(`instance ${id} refused to start`);
    return {
      tools: {
        id: { description: 'which instance answers', run: () => id },
        crash: { description: 'takes the sandbox down', run: () => simulateCrash(`instance ${id} died`) },
      },
    };
  };
  return { factory, count: () => instances };
}

describe('crash → restart', () => {
  test('a crash restarts the plugin with exponential backoff while it stays active', async () => {
    const plugin = crashy();
    await withHost({ modules: { crashy: plugin.factory }, restart: FAST }, async ({ host, states }) => {
      const crashes: CrashEvent[] = [];
      const restarts: number[] = [];
      host.on('crash', (e) => crashes.push(e));
      host.on('restart', (e) => restarts.push(e.attempt));
      await host.load(manifest('crashy'));
      for (let n = 1; n <= 3; n++) {
        const err = await rejection(host.callTool('crashy', 'crash'));
        expect(err).toMatchObject({ code: 'CRASHED', plugin: 'crashy', tool: 'crash' });
        await until(() => restarts.length === n, 5000, `restart #${n}`);
        expect((await host.callTool('crashy', 'id')).structuredContent).toBe(n + 1);
      }
      expect(crashes.map((c) => [c.crashes, c.restartInMs, c.exit.reason])).toEqual([
        [1, 20, 'crash'],
        [2, 40, 'crash'],
        [3, 60, 'crash'],
      ]);
      expect(restarts).toEqual([1, 2, 3]);
      expect(states).toEqual(['crashy:resolved->loaded', 'crashy:loaded->active']);
    });
  });

  test('too many crashes within the window mark the plugin failed; reload brings it back', async () => {
    const plugin = crashy();
    await withHost({ modules: { crashy: plugin.factory }, restart: FAST }, async ({ host, states, errors }) => {
      const crashes: CrashEvent[] = [];
      host.on('crash', (e) => crashes.push(e));
      await host.load(manifest('crashy'));
      for (let n = 1; n <= 4; n++) {
        await rejection(host.callTool('crashy', 'crash'));
        if (n < 4) await until(() => plugin.count() === n + 1, 5000, `restart #${n}`);
      }
      await until(() => host.get('crashy')?.state === 'failed', 5000, 'failed state');
      expect(crashes.at(-1)).toMatchObject({ crashes: 4 });
      expect(crashes.at(-1)?.restartInMs).toBeUndefined();
      expect(states.slice(-1)).toEqual(['crashy:active->failed']);
      const failure = host.get('crashy')?.error;
      expect(failure).toMatchObject({ code: 'CRASHED', plugin: 'crashy', data: { crashes: 4, windowMs: 30_000 } });
      expect(failure?.message).toBe('plugin "crashy" crashed: 4 crashes within 30000 ms, giving up (last: instance 4 died)');
      expect(errors.map((e) => [e.operation, e.plugin, e.error])).toEqual([['restart', 'crashy', failure]]);
      expect((await rejection(host.callTool('crashy', 'id'))).code).toBe('NOT_ACTIVE');
      await host.reload('crashy');
      expect(states.slice(-2)).toEqual(['crashy:failed->loaded', 'crashy:loaded->active']);
      expect((await host.callTool('crashy', 'id')).structuredContent).toBe(5);
    });
  });

  test('calls arriving while a crashed plugin restarts wait for the new instance', async () => {
    const plugin = crashy();
    await withHost({ modules: { crashy: plugin.factory }, restart: { ...FAST, initialDelayMs: 150, maxDelayMs: 150 } }, async ({ host }) => {
      await host.load(manifest('crashy'));
      const started = performance.now();
      await rejection(host.callTool('crashy', 'crash'));
      const answers = await Promise.all([host.callTool('crashy', 'id'), host.callTool('crashy', 'id')]);
      expect(answers.map((a) => a.structuredContent)).toEqual([2, 2]);
      // The restart was due 150 ms after the crash; the calls could not have been answered sooner.
      expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    });
  });

  test('a call waiting for a restart still honours its timeout', async () => {
    const plugin = crashy();
    await withHost({ modules: { crashy: plugin.factory }, restart: { ...FAST, initialDelayMs: 2000, maxDelayMs: 2000 } }, async ({ host }) => {
      await host.load(manifest('crashy'));
      await rejection(host.callTool('crashy', 'crash'));
      const err = await rejection(host.callTool('crashy', 'id', {}, { timeoutMs: 100 }));
      expect(err).toMatchObject({ code: 'TIMEOUT', plugin: 'crashy', tool: 'id' });
    });
  });

  test('stopping a plugin cancels its pending restart', async () => {
    const plugin = crashy();
    await withHost({ modules: { crashy: plugin.factory }, restart: { ...FAST, initialDelayMs: 100, maxDelayMs: 100 } }, async ({ host }) => {
      const restarts: number[] = [];
      host.on('restart', (e) => restarts.push(e.attempt));
      await host.load(manifest('crashy'));
      await rejection(host.callTool('crashy', 'crash'));
      await host.stop('crashy');
      await sleep(250);
      expect(restarts).toEqual([]);
      expect(plugin.count()).toBe(1);
      expect(host.get('crashy')?.state).toBe('stopped');
    });
  });

  test('a restart that fails counts as one more crash and is retried with a longer delay', async () => {
    const plugin = crashy({ failInstantiations: [2] });
    await withHost({ modules: { crashy: plugin.factory }, restart: FAST }, async ({ host, errors }) => {
      const crashes: CrashEvent[] = [];
      const restarts: number[] = [];
      host.on('crash', (e) => crashes.push(e));
      host.on('restart', (e) => restarts.push(e.attempt));
      await host.load(manifest('crashy'));
      await rejection(host.callTool('crashy', 'crash'));
      await until(() => restarts.length === 1, 5000, 'restart');
      expect(crashes.map((c) => [c.crashes, c.restartInMs])).toEqual([
        [1, 20],
        [2, 40],
      ]);
      expect(crashes[1]?.exit.message).toContain('instance 2 refused to start');
      expect(errors.map((e) => e.operation)).toEqual(['restart']);
      expect((await host.callTool('crashy', 'id')).structuredContent).toBe(3);
    });
  });

  test('crashes older than the window no longer count', async () => {
    const plugin = crashy();
    await withHost({ modules: { crashy: plugin.factory }, restart: { ...FAST, maxCrashes: 2, windowMs: 150 } }, async ({ host }) => {
      await host.load(manifest('crashy'));
      await rejection(host.callTool('crashy', 'crash'));
      await until(() => plugin.count() === 2, 5000, 'first restart');
      await sleep(200);
      await rejection(host.callTool('crashy', 'crash'));
      await until(() => plugin.count() === 3, 5000, 'second restart');
      expect(host.get('crashy')?.state).toBe('active');
    });
  });
});
