import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRecordingLogger, createTestContext } from '@clawdesk/sandbox/conformance';
import { createNativeDriver } from '../../src/index.js';
import { manifest, rejection, withHost, writeTree } from '../helpers.js';

const examples = fileURLToPath(new URL('../../../../examples/', import.meta.url));

const plugin = (name: string, entry: string, files: Record<string, string>) => ({
  [`${name}/plugin.json5`]: `{ name: '${name}', version: '1.0.0', description: 'd', author: 'a', sandbox: 'native', entry: '${entry}', timeoutMs: 2000 }`,
  ...Object.fromEntries(Object.entries(files).map(([f, text]) => [`${name}/${f}`, text])),
});

describe('native driver', () => {
  test('it supports only native node plugins and reports that it enforces nothing but a partial timeout', () => {
    const driver = createNativeDriver();
    expect([driver.kind, driver.packageName]).toEqual(['native', '@clawdesk/host']);
    expect(driver.supports(manifest('n'))).toBe(true);
    expect(driver.supports(manifest('w', { sandbox: 'wasm', runtime: 'wasm' }))).toBe(false);
    expect(driver.supports(manifest('p', { sandbox: 'process' }))).toBe(false);
    expect(driver.supports(manifest('d', { runtime: 'deno' }))).toBe(false);
    expect(driver.enforcement(manifest('n'))).toEqual({
      network: 'not-enforced',
      fsRead: 'not-enforced',
      fsWrite: 'not-enforced',
      env: 'not-enforced',
      memory: 'not-enforced',
      timeout: 'partial',
    });
  });

  test('it warns at load that the plugin runs without isolation', async () => {
    const root = writeTree(plugin('trusted', './index.mjs', { 'index.mjs': "export default { tools: { t: { description: 't', run: () => 1 } } };" }));
    const m = manifest('trusted', { dir: path.join(root, 'trusted'), entry: './index.mjs' });
    const ctx = createTestContext(m);
    try {
      const instance = await createNativeDriver().instantiate(m, ctx);
      await instance.dispose();
      expect(ctx.logger.entries).toEqual([
        {
          level: 'warn',
          message:
            'plugin "trusted" runs in-process (native driver): no isolation, permissions not enforced, runaway code cannot be stopped; load trusted plugins only',
          fields: { driver: 'native' },
        },
      ]);
    } finally {
      ctx.cleanup();
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('it loads a default export, named exports and CommonJS module.exports alike', async () => {
    const root = writeTree({
      ...plugin('esm-default', './index.mjs', { 'index.mjs': "export default { tools: { who: { description: 'w', run: () => 'esm-default' } } };" }),
      ...plugin('esm-named', './main.js', {
        'package.json': '{ "type": "module" }',
        'main.js': "export const tools = { who: { description: 'w', run: () => 'esm-named' } };\nexport const hooks = { ping: () => 'pong' };",
      }),
      ...plugin('cjs', './index.cjs', {
        'index.cjs': "const helper = require('./helper.cjs');\nmodule.exports = { tools: { who: { description: 'w', run: () => helper() } } };",
        'helper.cjs': "module.exports = () => 'cjs';",
      }),
      ...plugin('cjs-js', './index.js', { 'index.js': "exports.tools = { who: { description: 'w', run: () => 'cjs-js' } };" }),
    });
    try {
      await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
        const { loaded, problems } = await host.loadAll(root);
        expect(problems).toEqual([]);
        expect(loaded.map((e) => e.name)).toEqual(['cjs', 'cjs-js', 'esm-default', 'esm-named']);
        for (const name of ['cjs', 'cjs-js', 'esm-default', 'esm-named']) {
          expect((await host.call(`${name}.who`)).structuredContent).toBe(name);
        }
        expect(await host.dispatch('ping')).toEqual([{ plugin: 'esm-named', ok: true, value: 'pong' }]);
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test.each([
    ['exports no tools', "export default { hello: 'world' };", 'the entry must export a PluginModule'],
    ['has a tool without run()', "export default { tools: { t: { description: 't' } } };", 'tool "t" has no run() function'],
    ['has a hook that is not a function', "export default { tools: {}, hooks: { h: 42 } };", 'hook "h" is not a function'],
    ['throws while importing', "throw new Error('boom at import');", 'boom at import'],
    ['is not valid JavaScript', 'export default {{{', 'cannot load'],
  ])('an entry that %s fails with LOAD_FAILED saying why', async (_what, code, expected) => {
    const root = writeTree(plugin('bad', './index.mjs', { 'index.mjs': code }));
    try {
      await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
        const err = await rejection(host.load(path.join(root, 'bad')));
        expect(err).toMatchObject({ code: 'LOAD_FAILED', plugin: 'bad', driver: 'native' });
        expect(err.message).toContain(expected);
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  describe('with the hostile example plugin', () => {
    const hostile = path.join(examples, 'native-hostile');

    test('a tool that throws is an isError result and the plugin keeps serving', async () => {
      await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
        await host.load(hostile);
        expect(await host.callTool('native-hostile', 'throws')).toEqual({
          content: [{ type: 'text', text: 'hostile plugin threw on purpose' }],
          isError: true,
        });
        expect((await host.callTool('native-hostile', 'busy', { ms: 1 })).structuredContent).toEqual({ busyMs: 1 });
      });
    });

    test('a tool that never resolves times out and other calls are not held up', async () => {
      await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
        await host.load(hostile);
        const started = performance.now();
        const hung = rejection(host.callTool('native-hostile', 'hang', {}, { timeoutMs: 300 }));
        expect((await host.callTool('native-hostile', 'busy', { ms: 0 })).structuredContent).toEqual({ busyMs: 0 });
        expect(performance.now() - started).toBeLessThan(300);
        expect(await hung).toMatchObject({ code: 'TIMEOUT', plugin: 'native-hostile', tool: 'hang', driver: 'native' });
      });
    });

    test('a tool that blocks the event loop past its timeout cannot be interrupted, but its late answer is a TIMEOUT', async () => {
      await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
        await host.load(hostile);
        const started = performance.now();
        const err = await rejection(host.callTool('native-hostile', 'busy', { ms: 400 }, { timeoutMs: 100 }));
        expect(performance.now() - started).toBeGreaterThanOrEqual(395);
        expect(err).toMatchObject({ code: 'TIMEOUT', data: { timeoutMs: 100 } });
        expect(err.data).toMatchObject({ elapsedMs: expect.any(Number) });
        expect((err.data as { elapsedMs: number }).elapsedMs).toBeGreaterThanOrEqual(395);
      });
    });

    test('a result that is not JSON is INVALID_OUTPUT', async () => {
      await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
        await host.load(hostile);
        const err = await rejection(host.callTool('native-hostile', 'garbage'));
        expect(err).toMatchObject({ code: 'INVALID_OUTPUT', plugin: 'native-hostile', tool: 'garbage', driver: 'native' });
        expect(err.message).toContain('not JSON-serializable');
      });
    });

    test('arguments outside the tool’s schema never reach the busy loop', async () => {
      await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
        await host.load(hostile);
        const started = performance.now();
        const err = await rejection(host.callTool('native-hostile', 'busy', { ms: 60_000 }));
        expect(performance.now() - started).toBeLessThan(1000);
        expect(err).toMatchObject({ code: 'INVALID_ARGUMENTS', problems: [{ path: 'ms', message: 'must be <= 2000' }] });
      });
    });

    test('its throwing message transform is skipped and the message survives', async () => {
      await withHost({ drivers: [createNativeDriver()] }, async ({ host, errors }) => {
        await host.load(hostile);
        expect(await host.transformMessage({ text: 'intact' })).toEqual({ text: 'intact' });
        expect(errors.map((e) => [e.operation, e.plugin, e.error.message])).toEqual([
          ['transform', 'native-hostile', 'plugin "native-hostile" failed: hook "message_transform" threw: hostile transform threw on purpose'],
        ]);
      });
    });
  });

  test('the plugin sees the host’s logger, its config and its data dir', async () => {
    const root = writeTree(
      plugin('ctxy', './index.mjs', {
        'index.mjs': "export default { tools: { ctx: { description: 'c', run: (_a, ctx) => { ctx.log.info('hello from plugin'); return { config: ctx.config, dataDir: ctx.dataDir }; } } } };",
      }),
    );
    const logger = createRecordingLogger();
    try {
      await withHost({ drivers: [createNativeDriver()], logger, config: () => ({ units: 'metric' }) }, async ({ host, dataDir }) => {
        const lines: string[] = [];
        host.on('log', (e) => lines.push(`${e.level}:${e.plugin}:${e.message}`));
        await host.load(path.join(root, 'ctxy'));
        expect((await host.callTool('ctxy', 'ctx')).structuredContent).toEqual({ config: { units: 'metric' }, dataDir: path.join(dataDir, 'ctxy') });
        expect(lines).toContain('info:ctxy:hello from plugin');
        expect(logger.entries).toContainEqual({ level: 'info', message: 'hello from plugin', fields: { plugin: 'ctxy' } });
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
