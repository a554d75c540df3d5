import { rmSync } from 'node:fs';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { createHost } from '../src/index.js';
import { mcpServerSource, rejection, withHost, writeTree } from './helpers.js';

// Start-up has its own limit (`startTimeoutMs`), apart from each call's `timeoutMs`.

/** A process plugin that needs `delayMs` before it reads stdin (a slow import, a cache warm-up). */
function slowStarter(manifestExtra: string, delayMs: number): string {
  return writeTree({
    'plugin.json5': `{ name: 'slow-start', version: '1.0.0', runtime: 'node', entry: './index.mjs', timeoutMs: 1000, ${manifestExtra} tools: [{ name: 'ping', description: 'pong' }] }`,
    'index.mjs': mcpServerSource({
      name: 'slow-start',
      tools: ['ping'],
      answer: "() => 'pong'",
      before: `const until = Date.now() + ${delayMs}; while (Date.now() < until) {}`,
    }),
  });
}

describe('startTimeoutMs', () => {
  test('a process plugin that is ready after 3 s loads and answers although its timeoutMs is 1000', async () => {
    const dir = slowStarter('', 3000);
    try {
      await withHost({ drivers: [createProcessDriver()] }, async ({ host }) => {
        const entry = await host.load(dir);
        expect(entry).toMatchObject({ state: 'active', manifest: { timeoutMs: 1000 } });
        expect((await host.callTool('slow-start', 'ping')).content).toEqual([{ type: 'text', text: 'pong' }]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test("the manifest's startTimeoutMs overrides the host's: a start past it fails the load with TIMEOUT naming the limit", async () => {
    const dir = slowStarter('startTimeoutMs: 500,', 3000);
    try {
      await withHost({ drivers: [createProcessDriver()], startTimeoutMs: 60_000 }, async ({ host }) => {
        const err = await rejection(host.load(dir));
        expect(err).toMatchObject({ code: 'TIMEOUT', plugin: 'slow-start', driver: 'process', data: { phase: 'start', startTimeoutMs: 500 } });
        expect(host.get('slow-start')?.state).toBe('failed');
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test('createHost({ startTimeoutMs }) is refused when it is not a positive number of milliseconds', () => {
    for (const bad of [0, -1, Number.NaN, '100', 2 ** 31]) {
      expect(() => createHost({ drivers: [], hostVersion: '1.0.0', dataDir: '/tmp/x', startTimeoutMs: bad as number })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS', data: expect.objectContaining({ option: 'startTimeoutMs' }) }),
      );
    }
  });
});
