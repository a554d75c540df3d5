import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInMemoryDriver, type PluginModule, type SandboxDriver } from '@clawdesk/sandbox';
import { createHost, createNativeDriver, DriverMissingError, IncompatibleHostError, InvalidOptionsError } from '../src/index.js';
import { manifest, rejection, tempDir, thrown, until, withHost, writeTree } from './helpers.js';

const echoModule = (): PluginModule => ({ tools: { echo: { description: 'echo', run: (a) => a } } });

/** A plugin directory for the native driver. */
const nativePlugin = (name: string, over: string = '', code = `export default { tools: { hello: { description: 'hi', run: () => 'hello from ${name}' } } };`) => ({
  [`${name}/plugin.json5`]: `{ name: '${name}', version: '1.0.0', description: 'd', author: 'a', sandbox: 'native', entry: './index.mjs' ${over} }`,
  [`${name}/index.mjs`]: code,
});

describe('lifecycle', () => {
  test('load goes resolved → loaded → active, and every transition is a state event', async () => {
    await withHost({ modules: { echo: echoModule } }, async ({ host, states }) => {
      const entry = await host.load(manifest('echo'));
      expect(entry.state).toBe('active');
      expect(states).toEqual(['echo:resolved->loaded', 'echo:loaded->active']);
      expect(host.list().map((e) => [e.name, e.state, e.driver])).toEqual([['echo', 'active', 'native']]);
      expect(host.get('echo')?.tools.map((t) => t.name)).toEqual(['echo']);
    });
  });

  test('load with { start: false } stops at loaded; start, stop and start again runs a fresh instance', async () => {
    let instances = 0;
    const counting = (): PluginModule => {
      const id = ++instances;
      return { tools: { id: { description: 'which instance', run: () => id } } };
    };
    await withHost({ modules: { counter: counting } }, async ({ host, states }) => {
      await host.load(manifest('counter'), { start: false });
      expect(host.get('counter')?.state).toBe('loaded');
      expect((await rejection(host.callTool('counter', 'id'))).code).toBe('NOT_ACTIVE');
      await host.start('counter');
      expect((await host.callTool('counter', 'id')).structuredContent).toBe(1);
      await host.stop('counter');
      expect((await rejection(host.callTool('counter', 'id'))).message).toBe(
        'plugin "counter" is stopped, not active; call host.start("counter") first',
      );
      await host.start('counter');
      expect((await host.callTool('counter', 'id')).structuredContent).toBe(2);
      expect(states).toEqual([
        'counter:resolved->loaded',
        'counter:loaded->active',
        'counter:active->stopped',
        'counter:stopped->active',
      ]);
    });
  });

  test('an invalid transition is an INVALID_TRANSITION error naming plugin, from and to, and changes nothing', async () => {
    await withHost({ modules: { echo: echoModule } }, async ({ host, states }) => {
      await host.load(manifest('echo'));
      const again = await rejection(host.start('echo'));
      expect(again).toMatchObject({ code: 'INVALID_TRANSITION', plugin: 'echo', from: 'active', to: 'active' });
      expect(again.message).toBe('plugin "echo" cannot go from "active" to "active" (allowed from "active": stopped, loaded, failed)');
      await host.stop('echo');
      expect(await rejection(host.stop('echo'))).toMatchObject({ code: 'INVALID_TRANSITION', from: 'stopped', to: 'stopped' });
      await host.start('echo');
      await host.stop('echo');
      expect(host.get('echo')?.state).toBe('stopped');
      expect(states.filter((s) => s.startsWith('echo:'))).toEqual([
        'echo:resolved->loaded',
        'echo:loaded->active',
        'echo:active->stopped',
        'echo:stopped->active',
        'echo:active->stopped',
      ]);
    });
  });

  test('stop lets in-flight calls finish, then gives up on calls still running after drainTimeoutMs with DISPOSED', async () => {
    const mod = (): PluginModule => ({
      tools: {
        slow: { description: 'answers after 150 ms', run: () => new Promise((resolve) => setTimeout(() => resolve('done'), 150)) },
        hang: { description: 'never answers', run: () => new Promise(() => {}) },
      },
    });
    await withHost({ modules: { a: mod, b: mod }, drainTimeoutMs: 300 }, async ({ host }) => {
      await host.load(manifest('a'));
      const slow = host.callTool('a', 'slow');
      await host.stop('a');
      expect((await slow).structuredContent).toBe('done');

      await host.load(manifest('b'));
      const hung = rejection(host.callTool('b', 'hang'));
      const started = performance.now();
      await host.stop('b');
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(300 + 2000);
      expect(await hung).toMatchObject({ code: 'DISPOSED', plugin: 'b', tool: 'hang', data: { drainTimeoutMs: 300 } });
    });
  });

  test('reload of a plugin that is only loaded is an INVALID_TRANSITION', async () => {
    await withHost({ modules: { echo: echoModule } }, async ({ host }) => {
      await host.load(manifest('echo'), { start: false });
      expect(await rejection(host.reload('echo'))).toMatchObject({ code: 'INVALID_TRANSITION', from: 'loaded', to: 'loaded' });
    });
  });

  test.each([
    ['wasm', '@clawdesk/sandbox-wasm', 'install @clawdesk/sandbox-wasm and pass its driver in createHost({ drivers })'],
    ['process', '@clawdesk/sandbox-process', 'install @clawdesk/sandbox-process and pass its driver in createHost({ drivers })'],
    ['native', '@clawdesk/host', 'pass createNativeDriver() from @clawdesk/host in createHost({ drivers })'],
  ] as const)('a %s plugin with no driver for it fails with DRIVER_MISSING naming %s', async (sandbox, pkg, how) => {
    await withHost({ drivers: [] }, async ({ host, errors }) => {
      const err = await rejection(host.load(manifest('needy', { sandbox, runtime: sandbox === 'wasm' ? 'wasm' : 'node' })));
      expect(err).toBeInstanceOf(DriverMissingError);
      expect(err.message).toBe(`plugin "needy" needs sandbox "${sandbox}" but no driver given supports it: ${how}`);
      expect(err).toMatchObject({ code: 'DRIVER_MISSING', plugin: 'needy', data: { sandbox, package: pkg, given: [] } });
      expect(host.get('needy')).toMatchObject({ state: 'failed', error: err });
      expect(errors).toEqual([{ operation: 'load', plugin: 'needy', error: err }]);
    });
  });

  test('an OpenClaw plugin with no driver for it names @clawdesk/openclaw, not the generic process driver', async () => {
    await withHost({ drivers: [] }, async ({ host }) => {
      const err = await rejection(host.load({ ...manifest('claw', { sandbox: 'process', runtime: 'node' }), format: 'openclaw' }));
      expect(err).toMatchObject({ code: 'DRIVER_MISSING', data: { package: '@clawdesk/openclaw' } });
      expect(err.message).toContain('it is an OpenClaw plugin');
      expect(err.message).toContain('install @clawdesk/openclaw');
    });
  });

  test('requires is checked against hostVersion with a clear error', async () => {
    await withHost({ modules: { old: echoModule, fits: echoModule }, hostVersion: '1.4.0' }, async ({ host }) => {
      const err = await rejection(host.load(manifest('old', { requires: '>=2.0.0' })));
      expect(err).toBeInstanceOf(IncompatibleHostError);
      expect(err).toMatchObject({ code: 'INCOMPATIBLE_HOST', data: { requires: '>=2.0.0', hostVersion: '1.4.0' } });
      expect(err.message).toBe('plugin "old" requires host version ">=2.0.0" but this host is 1.4.0');
      expect((await host.load(manifest('fits', { requires: '^1.2.0' }))).state).toBe('active');
    });
  });

  test('loading a name twice is DUPLICATE_PLUGIN, but loading a failed plugin again retries it', async () => {
    let broken = true;
    const flaky = (): PluginModule => {
      if (broken) throw new Error('not ready yet');
      return echoModule();
    };
    await withHost({ modules: { flaky, echo: echoModule } }, async ({ host }) => {
      await host.load(manifest('echo'));
      expect(await rejection(host.load(manifest('echo')))).toMatchObject({ code: 'DUPLICATE_PLUGIN', plugin: 'echo' });
      const first = await rejection(host.load(manifest('flaky')));
      expect(first).toMatchObject({ code: 'LOAD_FAILED', plugin: 'flaky' });
      expect(first.message).toContain('not ready yet');
      expect(host.get('flaky')?.state).toBe('failed');
      broken = false;
      expect((await host.load(manifest('flaky'))).state).toBe('active');
    });
  });

  test('unload stops and disposes the plugin and frees its name, tools and claims', async () => {
    await withHost({ modules: { mem: echoModule, mem2: echoModule } }, async ({ host, states }) => {
      await host.load(manifest('mem', { slots: ['memory'], channels: ['irc'], toolNames: ['echo'] }));
      await host.unload('mem');
      expect(states.slice(-1)).toEqual(['mem:active->stopped']);
      expect(host.list()).toEqual([]);
      expect(host.registry.slotHolder('memory')).toBeUndefined();
      expect(host.registry.tools()).toEqual([]);
      await host.load(manifest('mem2', { slots: ['memory'], channels: ['irc'] }));
      expect(host.registry.channelOwner('irc')?.name).toBe('mem2');
      expect(await rejection(host.unload('ghost'))).toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
    });
  });

  test('a sandbox that takes longer than startTimeoutMs to start fails the load with TIMEOUT, and is disposed when it finally arrives', async () => {
    let disposed = false;
    let abortedOnArrival: boolean | undefined;
    const slowDriver: SandboxDriver = {
      kind: 'process',
      packageName: 'slow-driver',
      supports: () => true,
      enforcement: () => ({ network: 'enforced', fsRead: 'enforced', fsWrite: 'enforced', env: 'enforced', memory: 'enforced', timeout: 'enforced' }),
      instantiate: async (_m, _ctx, opts) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        abortedOnArrival = opts?.signal?.aborted;
        return {
          describe: async () => ({ tools: [], hooks: [] }),
          callTool: async () => ({ content: [] }),
          dispatch: async () => undefined,
          dispose: async () => void (disposed = true),
          onExit: () => () => {},
        };
      },
    };
    await withHost({ drivers: [slowDriver] }, async ({ host }) => {
      const err = await rejection(host.load(manifest('slowpoke', { startTimeoutMs: 100 })));
      expect(err).toMatchObject({ code: 'TIMEOUT', plugin: 'slowpoke', driver: 'process', data: { timeoutMs: 100, phase: 'start', startTimeoutMs: 100 } });
      expect(host.get('slowpoke')?.state).toBe('failed');
      await until(() => disposed, 5000, 'late instance disposed');
      expect(abortedOnArrival).toBe(true);
    });
  });

  test('a plugin whose inputSchema cannot compile fails to load with LOAD_FAILED naming the tool', async () => {
    const badSchema = (): PluginModule => ({
      tools: { odd: { description: 'odd', inputSchema: { type: 'object', properties: { n: { type: 'no-such-type' } } }, run: () => 1 } },
    });
    await withHost({ modules: { bad: badSchema } }, async ({ host }) => {
      const err = await rejection(host.load(manifest('bad')));
      expect(err).toMatchObject({ code: 'LOAD_FAILED', plugin: 'bad', driver: 'native' });
      expect(err.message).toContain('tool "odd" has an invalid inputSchema');
    });
  });

  test('inspect reports the driver package and what it enforces', async () => {
    await withHost({ modules: { echo: echoModule } }, async ({ host, dataDir }) => {
      await host.load(manifest('echo'));
      expect(host.inspect('echo')).toMatchObject({
        driver: '@clawdesk/sandbox',
        enforcement: { network: 'not-enforced', timeout: 'partial' },
        dataDir: path.join(dataDir, 'echo'),
        unsupported: [],
      });
    });
  });

  test('close() disposes every plugin, is idempotent, and later work rejects with HOST_CLOSED', async () => {
    const disposed: string[] = [];
    await withHost({ modules: { a: echoModule, b: echoModule } }, async ({ host, states }) => {
      host.registry.on('unregistered', ({ entry }) => disposed.push(entry.name));
      await host.load(manifest('a'));
      await host.load(manifest('b'));
      await host.close();
      await host.close();
      expect(disposed).toEqual(['b', 'a']);
      expect(states.slice(-2)).toEqual(['b:active->stopped', 'a:active->stopped']);
      expect(await rejection(host.callTool('a', 'echo'))).toMatchObject({ code: 'HOST_CLOSED' });
      expect(await rejection(host.load(manifest('c')))).toMatchObject({ code: 'HOST_CLOSED' });
    });
  });

  test('close() disposes each driver once, after its plugins, and a driver whose dispose fails does not stop the others', async () => {
    const events: string[] = [];
    const inner = createInMemoryDriver({ modules: { a: echoModule } });
    const withDispose = (name: string, fail: boolean): SandboxDriver => ({
      ...inner,
      supports: (m) => name === 'first' && inner.supports(m),
      dispose: async () => {
        events.push(`dispose ${name}`);
        if (fail) throw new Error('boom');
      },
    });
    await withHost({ drivers: [withDispose('first', true), withDispose('second', false), createNativeDriver()] }, async ({ host }) => {
      host.registry.on('unregistered', ({ entry }) => events.push(`unload ${entry.name}`));
      await host.load(manifest('a'));
      await host.close();
      await host.close();
    });
    expect(events).toEqual(['unload a', 'dispose first', 'dispose second']);
  });

  test('without an error listener, a failing hook subscriber is still only reported, never thrown', async () => {
    const dataDir = tempDir();
    const host = createHost({
      drivers: [createInMemoryDriver({ modules: { bad: () => ({ tools: {}, hooks: { h: () => { throw new Error('nope'); } } }) } })],
      hostVersion: '1.0.0',
      dataDir,
    });
    try {
      await host.load(manifest('bad', { hooks: ['h'] }));
      const [outcome] = await host.dispatch('h');
      expect(outcome).toMatchObject({ plugin: 'bad', ok: false });
    } finally {
      await host.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('createHost rejects invalid options, naming the option, what was expected and what arrived', () => {
    const dataDir = tempDir();
    try {
      const bad = thrown(() => createHost({ drivers: [], hostVersion: 'one', dataDir }));
      expect(bad).toBeInstanceOf(InvalidOptionsError);
      expect(bad.message).toBe('option "hostVersion" must be a semver version such as "1.2.3", received "one" (string)');
      expect(thrown(() => createHost({ drivers: [], hostVersion: '1.0.0', dataDir, restart: { factor: 0 } })).message).toBe(
        'option "restart.factor" must be a finite number >= 1, received 0 (number)',
      );
      expect(thrown(() => createHost({ drivers: [{}] as never, hostVersion: '1.0.0', dataDir })).code).toBe('INVALID_OPTIONS');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('filesystem resolver and loadAll', () => {
  test('load(name) finds a plugin in pluginDirs; an unknown name is PLUGIN_NOT_FOUND listing where it looked', async () => {
    const root = writeTree({ ...nativePlugin('weather'), ...nativePlugin('news') });
    try {
      await withHost({ drivers: [createNativeDriver()], pluginDirs: [root] }, async ({ host }) => {
        expect((await host.resolve('weather')).dir).toBe(path.join(root, 'weather'));
        await host.load('weather');
        expect((await host.call('weather.hello')).structuredContent).toBe('hello from weather');
        const err = await rejection(host.load('sports'));
        expect(err).toMatchObject({ code: 'PLUGIN_NOT_FOUND', data: { name: 'sports', dirs: [root], available: ['news', 'weather'] } });
        expect(err.message).toBe(`no plugin named "sports" in ${root} (found: news, weather)`);
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('load(dir) reads the manifest from a directory path', async () => {
    const root = writeTree(nativePlugin('weather'));
    try {
      await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
        const entry = await host.load(path.join(root, 'weather'));
        expect(entry.manifest.dir).toBe(path.join(root, 'weather'));
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('loadAll loads every valid plugin and reports each bad one without stopping', async () => {
    const root = writeTree({
      ...nativePlugin('alpha'),
      'broken-syntax/plugin.json5': '{ name: "broken-syntax", ',
      ...nativePlugin('needs-wasm', ", runtime: 'wasm', sandbox: 'wasm'"),
      ...nativePlugin('throws-on-import', '', 'throw new Error("import-time failure");'),
      ...nativePlugin('zulu'),
      'not-a-plugin/readme.txt': 'no manifest here',
    });
    try {
      await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
        const { loaded, problems } = await host.loadAll(root);
        expect(loaded.map((e) => e.name)).toEqual(['alpha', 'zulu']);
        expect(problems.map((p) => [path.basename(p.dir), p.plugin, (p.error as { code?: string }).code])).toEqual([
          ['broken-syntax', undefined, 'MANIFEST_SYNTAX'],
          ['needs-wasm', 'needs-wasm', 'DRIVER_MISSING'],
          ['throws-on-import', 'throws-on-import', 'LOAD_FAILED'],
        ]);
        expect(problems[2]?.message).toContain('import-time failure');
        expect(host.list().map((e) => `${e.name}:${e.state}`)).toEqual(['alpha:active', 'needs-wasm:failed', 'throws-on-import:failed', 'zulu:active']);
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('each plugin gets its own data dir under dataDir, created before it loads', async () => {
    const seen: string[] = [];
    const mod = (): PluginModule => ({ tools: { where: { description: 'data dir', run: (_a, ctx) => (seen.push(ctx.dataDir), ctx.dataDir) } } });
    await withHost({ modules: { '@scope/odd': mod } }, async ({ host, dataDir }) => {
      await host.load(manifest('@scope/odd'));
      await host.callTool('@scope/odd', 'where');
      expect(seen).toEqual([path.join(dataDir, '%40scope%2Fodd')]);
      expect(existsSync(seen[0] as string)).toBe(true);
    });
  });
});
