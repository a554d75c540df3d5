import path from 'node:path';
import { resultValue } from '@clawdesk/sandbox';
import { createOpenClawDriver } from '../../src/driver.js';
import { fixtureDir, withHost } from '../support/plugins.js';

const SHIMS = 'openclaw/plugin-sdk, openclaw/plugin-sdk/core, openclaw/plugin-sdk/plugin-entry';

describe('plugins that cannot load fail with a clear error while the others keep running', () => {
  test('register(api) throwing fails the load with the thrown message; the plugin is listed as failed', async () => {
    await withHost([createOpenClawDriver()], async ({ host }) => {
      await host.load(fixtureDir('conformance'));
      await expect(host.load(fixtureDir('register-throws'))).rejects.toMatchObject({
        code: 'LOAD_FAILED',
        plugin: 'register-throws',
        message: 'plugin "register-throws" failed to load: register(api) threw Error: the database URL is not configured',
        data: { reason: 'register-threw' },
      });
      expect(host.get('register-throws')?.state).toBe('failed');
      const echoed = await host.callTool('openclaw-conformance', 'echo', { still: 'running' });
      expect(resultValue(echoed)).toEqual({ still: 'running' });
    });
  });

  test('an import of an openclaw/* module the shim lacks fails the load naming that module', async () => {
    await withHost([createOpenClawDriver()], async ({ host }) => {
      await expect(host.load(fixtureDir('missing-module'))).rejects.toMatchObject({
        code: 'LOAD_FAILED',
        message: `plugin "missing-module" failed to load: imports "openclaw/plugin-sdk/channel-runtime", which clawdesk's OpenClaw shim does not provide (it provides: ${SHIMS})`,
        data: { reason: 'missing-module', module: 'openclaw/plugin-sdk/channel-runtime' },
      });
    });
  });

  test('config the configSchema rejects fails the load before any process starts, naming every bad field', async () => {
    const config = { 'kitchen-sink': { limit: 99, colour: 'red' } };
    await withHost(
      [createOpenClawDriver()],
      async ({ host }) => {
        const started = performance.now();
        const error = await host.load(fixtureDir('kitchen-sink')).then(
          () => undefined,
          (e: unknown) => e as { code: string; message: string; data: unknown },
        );
        expect(error?.code).toBe('LOAD_FAILED');
        expect(error?.message).toBe(
          `plugin "kitchen-sink" failed to load: its config does not match the configSchema of ${path.join(fixtureDir('kitchen-sink'), 'openclaw.plugin.json')}: config.colour must NOT have additional properties; config.limit must be <= 10`,
        );
        expect(error?.data).toEqual({
          problems: [
            { path: 'colour', message: 'must NOT have additional properties' },
            { path: 'limit', message: 'must be <= 10' },
          ],
        });
        // Validation happens in the host process: no runner is spawned, so it is quick even on a loaded machine.
        expect(performance.now() - started).toBeLessThan(1_000);
      },
      config,
    );
  });

  test('an entry without a register function fails the load listing what it does export', async () => {
    await withHost([createOpenClawDriver()], async ({ host }) => {
      await expect(host.load(fixtureDir('no-register'))).rejects.toMatchObject({
        message:
          'plugin "no-register" failed to load: its entry ./index.js exports no register function: expected a default export { id, register(api) } (definePluginEntry) or a register(api) function (exports: id, setup)',
        data: { reason: 'no-register' },
      });
    });
  });

  test('loadAll over a directory with broken plugins loads the good ones and reports each broken one', async () => {
    await withHost([createOpenClawDriver()], async ({ host }) => {
      const { loaded, problems } = await host.loadAll(path.dirname(fixtureDir('conformance')));
      expect(loaded.map((e) => e.name).sort()).toEqual(['kitchen-sink', 'openclaw-conformance']);
      expect(problems.map((p) => [p.plugin, (p.error as { data?: { reason?: string } }).data?.reason]).sort()).toEqual([
        ['missing-module', 'missing-module'],
        ['no-register', 'no-register'],
        ['register-throws', 'register-threw'],
      ]);
      const answer = await host.callTool('kitchen-sink', 'greet', { name: 'Ada' });
      expect(resultValue(answer)).toEqual({ text: 'Hello, Ada!', limit: 3 });
    });
  });
});
