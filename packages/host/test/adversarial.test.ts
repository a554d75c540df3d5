import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInMemoryDriver, type PluginModule, type SandboxDriver } from '@clawdesk/sandbox';
import { createNativeDriver } from '../src/index.js';
import { manifest, rejection, tempDir, until, withHost, writeTree } from './helpers.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A .tgz of a native plugin package whose package.json says `name` (npm pack refuses such names: tar does not). */
function hostileTarball(name: string): string {
  const root = tempDir('clawdesk-hostile-pkg-');
  made.push(root);
  writeTree(
    {
      'package/package.json': JSON.stringify({ name, version: '1.0.0', type: 'module' }),
      'package/plugin.json5': `{ name: 'escaper', version: '1.0.0', description: 'x', author: 'x', sandbox: 'native', entry: './index.mjs' }`,
      'package/index.mjs': `export default { tools: { hi: { description: 'hi', run: () => 'hi' } } };`,
    },
    root,
  );
  const file = path.join(root, 'p.tgz');
  execFileSync('tar', ['czf', file, '-C', root, 'package']);
  return file;
}

describe('install', () => {
  test.each(['a/../../../escaped', '@x/../../../escaped', '..', '../escaped', 'a\\..\\..\\escaped', '', 'UPPER/../..'])(
    'a tarball whose package.json names itself %j is refused with INVALID_PACKAGE, and nothing lands outside the plugins dir',
    async (name) => {
      const outer = tempDir('clawdesk-outer-');
      made.push(outer);
      const plugins = path.join(outer, 'a', 'b', 'plugins');
      await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
        const error = await rejection(host.install(`file:${hostileTarball(name)}`, { dir: plugins }));
        expect(error.code).toBe('INVALID_PACKAGE');
        expect(error.message).toContain(JSON.stringify(name));
      });
      // Refused before anything is staged: not even the plugins dir was created.
      expect(readdirSync(outer)).toEqual([]);
    },
  );
});

/** Wraps a driver to count instances started and not yet disposed. */
function counting(driver: SandboxDriver): { driver: SandboxDriver; live: () => number } {
  let live = 0;
  return {
    live: () => live,
    driver: {
      ...driver,
      async instantiate(m, ctx, opts) {
        const instance = await driver.instantiate(m, ctx, opts);
        live++;
        let disposed = false;
        const dispose = instance.dispose.bind(instance);
        instance.dispose = async () => {
          if (!disposed) live--;
          disposed = true;
          await dispose();
        };
        return instance;
      },
    },
  };
}

describe('reload storm', () => {
  test('100 concurrent reloads over 10 plugins, with calls in between, leave each plugin active on one instance, answering', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `p${i}`);
    const mod = (v: string): PluginModule => ({ tools: { version: { description: 'v', run: async () => (await new Promise((r) => setTimeout(r, 1)), v) } } });
    const modules = Object.fromEntries(names.flatMap((n) => ['1.0.0', '2.0.0'].map((v) => [`${n}@${v}`, () => mod(v)])));
    const { driver, live } = counting(createInMemoryDriver({ modules }));
    await withHost({ drivers: [driver] }, async ({ host }) => {
      for (const n of names) await host.load(manifest(n, { version: '1.0.0' }));
      const storm = names.flatMap((n) =>
        Array.from({ length: 10 }, (_, i) => host.reload(n, { manifest: manifest(n, { version: i % 2 ? '1.0.0' : '2.0.0' }) }).then(() => 'ok', (e: Error) => e.message)),
      );
      const calls = names.flatMap((n) => Array.from({ length: 10 }, () => host.callTool(n, 'version', {}).then((r) => r.isError ?? false, (e: Error) => e.message)));
      const outcomes = await Promise.all(storm);
      expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
      expect((await Promise.all(calls)).filter((c) => c !== false)).toEqual([]);
      for (const n of names) {
        expect(host.get(n)?.state).toBe('active');
        expect((await host.callTool(n, 'version', {})).isError).toBeUndefined();
      }
      // Old versions are disposed once drained.
      await until(() => live() === names.length, 5000, 'one live instance per plugin');
    });
    expect(live()).toBe(0);
  });
});
