import { fixtureManifest, opts, start } from '../support/plugins.js';

const manifest = (runtime: 'node' | 'deno') =>
  fixtureManifest('engine', { runtime, tools: [{ name: 'engine', description: 'Says whether WebAssembly exists here' }] });

describe.each(['node', 'deno'] as const)('jitless on %s', (runtime) => {
  test('by default the plugin runs with the JIT and has WebAssembly', async () => {
    const plugin = await start(manifest(runtime));
    try {
      expect((await plugin.instance.callTool('engine', { n: 1 }, opts())).structuredContent).toEqual({ webAssembly: 'object', args: { n: 1 } });
    } finally {
      await plugin.close();
    }
  });

  test('jitless: true runs V8 without its JIT (no WebAssembly) and the plugin still serves its calls', async () => {
    const plugin = await start(manifest(runtime), { driver: { jitless: true } });
    try {
      const results = await Promise.all([1, 2, 3].map((n) => plugin.instance.callTool('engine', { n }, opts())));
      expect(results.map((r) => r.structuredContent)).toEqual([1, 2, 3].map((n) => ({ webAssembly: 'undefined', args: { n } })));
    } finally {
      await plugin.close();
    }
  });
});
