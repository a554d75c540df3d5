import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PluginModule } from '@clawdesk/sandbox';
import { createNativeDriver } from '../src/index.js';
import { abortable, manifest, rejection, withHost, writeTree } from './helpers.js';

const version = (v: string, extra: PluginModule['tools'] = {}): PluginModule => ({
  tools: {
    version: { description: 'which version answers', run: () => v },
    slow: { description: 'answers after ms', run: async ({ ms }, ctx) => (await abortable(ms, ctx.signal), `v${v} slow`) },
    ...extra,
  },
});

const v1 = manifest('svc', { version: '1.0.0' });
const v2 = manifest('svc', { version: '2.0.0' });

describe('reload', () => {
  test('swaps the new version in one step (active → loaded → active) with its new tools', async () => {
    const modules = {
      'svc@1.0.0': () => version('1', { old_only: { description: 'gone in v2', run: () => 'old' } }),
      'svc@2.0.0': () => version('2', { new_only: { description: 'new in v2', run: () => 'new' } }),
    };
    await withHost({ modules }, async ({ host, states }) => {
      const reloaded: unknown[] = [];
      host.on('reloaded', (e) => reloaded.push(e));
      await host.load(v1);
      expect((await host.call('svc.version')).structuredContent).toBe('1');
      const entry = await host.reload('svc', { manifest: v2 });
      expect(entry).toMatchObject({ state: 'active', manifest: { version: '2.0.0' } });
      expect(states.slice(-2)).toEqual(['svc:active->loaded', 'svc:loaded->active']);
      expect(reloaded).toEqual([{ plugin: 'svc', from: '1.0.0', to: '2.0.0' }]);
      expect((await host.call('svc.version')).structuredContent).toBe('2');
      expect(host.get('svc')?.tools.map((t) => t.name)).toEqual(['version', 'slow', 'new_only']);
      expect((await rejection(host.call('svc.old_only'))).code).toBe('TOOL_NOT_FOUND');
    });
  });

  test('a call in flight during the swap finishes on the old version, which is disposed only after it drains', async () => {
    const modules = { 'svc@1.0.0': () => version('1'), 'svc@2.0.0': () => version('2') };
    await withHost({ modules }, async ({ host }) => {
      await host.load(v1);
      let slowDone = false;
      const slow = host.callTool('svc', 'slow', { ms: 300 }).then((r) => ((slowDone = true), r));
      await host.reload('svc', { manifest: v2 });
      expect(slowDone).toBe(false);
      expect((await host.call('svc.version')).structuredContent).toBe('2');
      // Disposing before the drain would have rejected it with DISPOSED.
      expect((await slow).structuredContent).toBe('v1 slow');
    });
  });

  test('a new version that fails to load leaves the old one serving, with the error thrown and emitted', async () => {
    const modules = {
      'svc@1.0.0': () => version('1'),
      'svc@2.0.0': (): PluginModule => {
        throw new Error('v2 is broken');
      },
    };
    await withHost({ modules }, async ({ host, states, errors }) => {
      await host.load(v1);
      const before = [...states];
      const err = await rejection(host.reload('svc', { manifest: v2 }));
      expect(err).toMatchObject({ code: 'LOAD_FAILED', plugin: 'svc' });
      expect(err.message).toContain('v2 is broken');
      expect(states).toEqual(before);
      expect(host.get('svc')).toMatchObject({ state: 'active', manifest: { version: '1.0.0' } });
      expect((await host.call('svc.version')).structuredContent).toBe('1');
      expect(errors).toEqual([{ operation: 'reload', plugin: 'svc', error: err }]);
    });
  });

  test('a new version whose claims conflict leaves the old one serving', async () => {
    const modules = { 'svc@1.0.0': () => version('1'), 'svc@2.0.0': () => version('2'), slack: () => version('s') };
    await withHost({ modules }, async ({ host }) => {
      await host.load(manifest('slack', { channels: ['slack'] }));
      await host.load(v1);
      const err = await rejection(host.reload('svc', { manifest: { ...v2, channels: ['slack'] } }));
      expect(err).toMatchObject({ code: 'CHANNEL_CONFLICT', data: { channel: 'slack', owner: 'slack', claimant: 'svc' } });
      expect((await host.call('svc.version')).structuredContent).toBe('1');
    });
  });

  test('a stopped plugin reloads to active', async () => {
    const modules = { 'svc@1.0.0': () => version('1'), 'svc@2.0.0': () => version('2') };
    await withHost({ modules }, async ({ host, states }) => {
      await host.load(v1);
      await host.stop('svc');
      await host.reload('svc', { manifest: v2 });
      expect(states.slice(-3)).toEqual(['svc:active->stopped', 'svc:stopped->loaded', 'svc:loaded->active']);
      expect((await host.call('svc.version')).structuredContent).toBe('2');
    });
  });

  test('a reload to another plugin name is refused', async () => {
    await withHost({ modules: { svc: () => version('1'), other: () => version('2') } }, async ({ host }) => {
      await host.load(v1);
      expect(await rejection(host.reload('svc', { manifest: manifest('other') }))).toMatchObject({ code: 'NAME_MISMATCH' });
    });
  });

  test('reload re-reads the manifest from the plugin directory', async () => {
    const manifestText = (v: string) =>
      `{ name: 'disk', version: '${v}', description: 'd', author: 'a', sandbox: 'native', entry: './index.mjs', timeoutMs: ${v === '1.0.0' ? 1000 : 2000} }`;
    const root = writeTree({
      'disk/plugin.json5': manifestText('1.0.0'),
      'disk/index.mjs': "export default { tools: { hi: { description: 'hi', run: () => 'hi' } } };",
    });
    try {
      await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
        await host.load(path.join(root, 'disk'));
        writeFileSync(path.join(root, 'disk/plugin.json5'), manifestText('2.0.0'));
        const entry = await host.reload('disk');
        expect(entry.manifest).toMatchObject({ version: '2.0.0', timeoutMs: 2000 });
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
