import type { PluginManifest } from '@clawdesk/manifest';
import {
  type CallOptions,
  InvalidArgumentsError,
  type PermissionReport,
  type PluginModule,
  type SandboxDriver,
  type SandboxInstance,
  TimeoutError,
} from '@clawdesk/sandbox';
import { PluginCallError } from '../src/index.js';
import { abortable, manifest, rejection, sleep, withHost } from './helpers.js';

const weather = (ran: unknown[] = []): PluginModule => ({
  tools: {
    forecast: {
      description: 'Forecast for a city',
      inputSchema: {
        type: 'object',
        properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } },
        required: ['city'],
        additionalProperties: false,
      },
      run: (args) => {
        ran.push(args);
        return { city: args.city, sunny: true };
      },
    },
    fails: {
      description: 'Throws',
      run: () => {
        throw new Error('upstream said no');
      },
    },
    slow: { description: 'Waits for ms', run: async ({ ms }, ctx) => (await abortable(ms, ctx.signal), { waited: ms }) },
  },
});

const notEnforced: PermissionReport = {
  network: 'not-enforced',
  fsRead: 'not-enforced',
  fsWrite: 'not-enforced',
  env: 'not-enforced',
  memory: 'not-enforced',
  timeout: 'not-enforced',
};

/** A driver whose calls do whatever `call` says, ignoring timeouts and signals: the host must cope alone. */
function scriptedDriver(call: (opts: CallOptions) => Promise<unknown>): SandboxDriver & { seen: CallOptions[] } {
  const seen: CallOptions[] = [];
  const instance: SandboxInstance = {
    describe: async () => ({
      tools: [{ name: 'run', description: 'scripted' }],
      hooks: [],
      unsupported: [{ kind: 'command', name: '/status' }],
    }),
    callTool: (_name, _args, opts) => {
      seen.push(opts);
      return call(opts) as never;
    },
    dispatch: async () => undefined,
    dispose: async () => {},
    onExit: () => () => {},
  };
  return {
    seen,
    kind: 'process',
    packageName: 'scripted-driver',
    supports: (m: PluginManifest) => m.name === 'scripted',
    enforcement: () => notEnforced,
    instantiate: async () => instance,
  };
}

describe('calling tools', () => {
  test('callTool returns the result; call() takes plugin.tool or a bare name only one plugin offers', async () => {
    await withHost({ modules: { weather, mirror: weather } }, async ({ host }) => {
      await host.load(manifest('weather'));
      expect(await host.callTool('weather', 'forecast', { city: 'Oslo' })).toEqual({
        content: [{ type: 'text', text: '{"city":"Oslo","sunny":true}' }],
        structuredContent: { city: 'Oslo', sunny: true },
      });
      expect((await host.call('forecast', { city: 'Rome' })).structuredContent).toEqual({ city: 'Rome', sunny: true });
      await host.load(manifest('mirror'));
      const ambiguous = await rejection(host.call('forecast', { city: 'Rome' }));
      expect(ambiguous).toMatchObject({ code: 'AMBIGUOUS_TOOL', candidates: ['weather.forecast', 'mirror.forecast'] });
      expect((await host.call('mirror.forecast', { city: 'Bern' })).structuredContent).toEqual({ city: 'Bern', sunny: true });
    });
  });

  test('arguments are checked against inputSchema before the plugin sees them, listing every failing path', async () => {
    const ran: unknown[] = [];
    await withHost({ modules: { weather: () => weather(ran) } }, async ({ host }) => {
      await host.load(manifest('weather'));
      const err = await rejection(host.callTool('weather', 'forecast', { days: 0, extra: true }));
      expect(err).toBeInstanceOf(InvalidArgumentsError);
      expect(err).toMatchObject({ code: 'INVALID_ARGUMENTS', plugin: 'weather', tool: 'forecast', driver: 'native' });
      expect((err as unknown as InvalidArgumentsError).problems).toEqual([
        { path: 'city', message: "must have required property 'city'" },
        { path: 'extra', message: 'must NOT have additional properties' },
        { path: 'days', message: 'must be >= 1' },
      ]);
      expect(err.message).toBe(
        'invalid arguments for plugin "weather", tool "forecast": city: must have required property \'city\'; extra: must NOT have additional properties; days: must be >= 1',
      );
      expect(ran).toEqual([]);
      expect((await rejection(host.callTool('weather', 'forecast'))).code).toBe('INVALID_ARGUMENTS');
    });
  });

  test('an unknown tool is TOOL_NOT_FOUND listing the available ones; an unknown plugin is PLUGIN_NOT_FOUND', async () => {
    await withHost({ modules: { weather } }, async ({ host }) => {
      await host.load(manifest('weather'));
      expect(await rejection(host.callTool('weather', 'nope'))).toMatchObject({
        code: 'TOOL_NOT_FOUND',
        plugin: 'weather',
        data: { available: ['forecast', 'fails', 'slow'] },
      });
      expect(await rejection(host.callTool('ghost', 'x'))).toMatchObject({ code: 'PLUGIN_NOT_FOUND', plugin: 'ghost' });
    });
  });

  test('a tool that throws resolves to an isError result and the plugin keeps serving', async () => {
    await withHost({ modules: { weather } }, async ({ host }) => {
      await host.load(manifest('weather'));
      expect(await host.callTool('weather', 'fails')).toEqual({ content: [{ type: 'text', text: 'upstream said no' }], isError: true });
      expect((await host.callTool('weather', 'forecast', { city: 'Lima' })).isError).toBeUndefined();
    });
  });

  test('the host enforces timeoutMs itself: a driver that never settles still rejects with TIMEOUT on time', async () => {
    const driver = scriptedDriver(() => new Promise(() => {}));
    await withHost({ drivers: [driver] }, async ({ host }) => {
      await host.load(manifest('scripted', { timeoutMs: 200 }));
      const started = performance.now();
      const err = await rejection(host.callTool('scripted', 'run'));
      const elapsed = performance.now() - started;
      expect(err).toBeInstanceOf(TimeoutError);
      expect(err).toMatchObject({ code: 'TIMEOUT', plugin: 'scripted', tool: 'run', driver: 'process', data: { timeoutMs: 200 } });
      expect(err.message).toBe('plugin "scripted", tool "run" timed out after 200 ms');
      expect(elapsed).toBeGreaterThanOrEqual(195);
      expect(elapsed).toBeLessThan(200 + 1000);
      // The driver's signal says why, so a driver that can kill its sandbox knows to.
      expect(driver.seen[0]?.signal.aborted).toBe(true);
      expect(driver.seen[0]?.signal.reason).toBe(err);
      expect(driver.seen[0]?.timeoutMs).toBe(200);
    });
  });

  test('concurrent calls with different timeouts each time out at their own deadline', async () => {
    const driver = scriptedDriver(() => new Promise(() => {}));
    await withHost({ drivers: [driver] }, async ({ host }) => {
      await host.load(manifest('scripted', { timeoutMs: 10_000 }));
      const started = performance.now();
      const order: number[] = [];
      const settle = (ms: number) =>
        rejection(host.callTool('scripted', 'run', {}, { timeoutMs: ms })).then((err) => {
          order.push(ms);
          return { code: err.code, elapsed: performance.now() - started };
        });
      const results = await Promise.all([settle(600), settle(200), settle(400)]);
      expect(order).toEqual([200, 400, 600]);
      for (const [i, ms] of [600, 200, 400].entries()) {
        expect(results[i]?.code).toBe('TIMEOUT');
        expect(results[i]?.elapsed).toBeGreaterThanOrEqual(ms - 5);
        expect(results[i]?.elapsed).toBeLessThan(ms + 1000);
      }
    });
  });

  test('what a plugin registered that the host cannot serve is warned about at load and listed by inspect', async () => {
    await withHost({ drivers: [scriptedDriver(() => new Promise(() => {}))] }, async ({ host }) => {
      const warnings: string[] = [];
      host.on('log', (e) => e.level === 'warn' && warnings.push(e.message));
      await host.load(manifest('scripted'));
      expect(warnings).toContain('ignored, not supported by this host: command "/status"');
      expect(host.inspect('scripted').unsupported).toEqual([{ kind: 'command', name: '/status' }]);
    });
  });

  test('a plugin cannot relabel its log lines as another plugin’s through its own fields', async () => {
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    const record = (message: string, fields?: Record<string, unknown>) => void lines.push({ message, ...(fields ? { fields } : {}) });
    const spoofer: PluginModule = {
      tools: { say: { description: 'logs', run: (_args, ctx) => ctx.log.warn('hello', { plugin: 'trusted-plugin', extra: 1 }) } },
    };
    await withHost({ modules: { spoofer }, logger: { debug: record, info: record, warn: record, error: record } }, async ({ host }) => {
      await host.load(manifest('spoofer'));
      await host.callTool('spoofer', 'say', {});
      expect(lines.find((l) => l.message === 'hello')?.fields).toEqual({ plugin: 'spoofer', tool: 'say', extra: 1 });
    });
  });

  test('a per-call timeoutMs overrides the manifest default', async () => {
    await withHost({ modules: { weather } }, async ({ host }) => {
      await host.load(manifest('weather', { timeoutMs: 50 }));
      expect((await host.callTool('weather', 'slow', { ms: 150 }, { timeoutMs: 5000 })).structuredContent).toEqual({ waited: 150 });
      const err = await rejection(host.callTool('weather', 'slow', { ms: 5000 }));
      expect(err).toMatchObject({ code: 'TIMEOUT', data: { timeoutMs: 50 } });
      expect((await rejection(host.callTool('weather', 'slow', { ms: 1 }, { timeoutMs: -1 }))).message).toBe(
        'option "timeoutMs" must be a positive number of milliseconds, received -1 (number)',
      );
    });
  });

  test('aborting the AbortSignal rejects with CANCELLED promptly and aborts the plugin’s own signal', async () => {
    let pluginSignal: AbortSignal | undefined;
    const mod = (): PluginModule => ({
      tools: { wait: { description: 'waits', run: async (_a, ctx) => ((pluginSignal = ctx.signal), await abortable(60_000, ctx.signal)) } },
    });
    await withHost({ modules: { waiter: mod } }, async ({ host }) => {
      await host.load(manifest('waiter'));
      const controller = new AbortController();
      const pending = rejection(host.callTool('waiter', 'wait', {}, { signal: controller.signal }));
      await sleep(50);
      const abortedAt = performance.now();
      controller.abort(new Error('user pressed stop'));
      const err = await pending;
      expect(performance.now() - abortedAt).toBeLessThan(500);
      expect(err).toMatchObject({ code: 'CANCELLED', plugin: 'waiter', tool: 'wait' });
      expect((err.cause as Error).message).toBe('user pressed stop');
      expect(pluginSignal?.aborted).toBe(true);
      expect((await rejection(host.callTool('waiter', 'wait', {}, { signal: AbortSignal.abort() }))).code).toBe('CANCELLED');
    });
  });

  test('minCallIntervalMs spaces calls to one plugin in arrival order instead of rejecting them', async () => {
    const starts: Array<{ i: number; at: number }> = [];
    const mod = (): PluginModule => ({ tools: { tick: { description: 'tick', run: ({ i }) => (starts.push({ i, at: performance.now() }), i) } } });
    await withHost({ modules: { limited: mod } }, async ({ host }) => {
      await host.load(manifest('limited', { minCallIntervalMs: 100 }));
      const results = await Promise.all([0, 1, 2, 3].map((i) => host.callTool('limited', 'tick', { i })));
      expect(results.map((r) => r.structuredContent)).toEqual([0, 1, 2, 3]);
      expect(starts.map((s) => s.i)).toEqual([0, 1, 2, 3]);
      // The host spaces releases by 100 ms; the plugin sees each start a few event-loop turns later,
      // and the first (released at once) can see more of them than the next, on a loaded machine.
      for (let k = 1; k < starts.length; k++) {
        expect((starts[k]?.at ?? 0) - (starts[k - 1]?.at ?? 0)).toBeGreaterThanOrEqual(90);
      }
    });
  });

  test('a call queued by minCallIntervalMs can be cancelled while it waits', async () => {
    const mod = (): PluginModule => ({ tools: { tick: { description: 'tick', run: () => 'ran' } } });
    await withHost({ modules: { limited: mod } }, async ({ host }) => {
      await host.load(manifest('limited', { minCallIntervalMs: 10_000 }));
      await host.callTool('limited', 'tick');
      const controller = new AbortController();
      const queued = rejection(host.callTool('limited', 'tick', {}, { signal: controller.signal }));
      await sleep(20);
      controller.abort();
      expect(await queued).toMatchObject({ code: 'CANCELLED', plugin: 'limited', tool: 'tick' });
    });
  });

  test('calls still queued by minCallIntervalMs are rejected with NOT_ACTIVE when the plugin stops', async () => {
    const mod = (): PluginModule => ({ tools: { tick: { description: 'tick', run: () => 'ran' } } });
    await withHost({ modules: { limited: mod } }, async ({ host }) => {
      await host.load(manifest('limited', { minCallIntervalMs: 10_000 }));
      await host.callTool('limited', 'tick');
      const queued = rejection(host.callTool('limited', 'tick'));
      await host.stop('limited');
      expect(await queued).toMatchObject({ code: 'NOT_ACTIVE', plugin: 'limited', data: { state: 'stopped' } });
    });
  });

  test('a call queued across a reload is served by the new version', async () => {
    const modules = {
      'svc@1.0.0': (): PluginModule => ({ tools: { v: { description: 'v', run: () => 1 } } }),
      'svc@2.0.0': (): PluginModule => ({ tools: { v: { description: 'v', run: () => 2 } } }),
    };
    await withHost({ modules }, async ({ host }) => {
      await host.load(manifest('svc', { minCallIntervalMs: 200 }));
      expect((await host.callTool('svc', 'v')).structuredContent).toBe(1);
      const queued = host.callTool('svc', 'v');
      await host.reload('svc', { manifest: manifest('svc', { version: '2.0.0', minCallIntervalMs: 200 }) });
      expect((await queued).structuredContent).toBe(2);
    });
  });

  test('a driver failure that is not a clawdesk error becomes PLUGIN_ERROR carrying plugin, tool, driver and the original code', async () => {
    const driver = scriptedDriver(() => Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
    await withHost({ drivers: [driver] }, async ({ host }) => {
      await host.load(manifest('scripted'));
      const err = await rejection(host.callTool('scripted', 'run'));
      expect(err).toBeInstanceOf(PluginCallError);
      expect(err).toMatchObject({ code: 'PLUGIN_ERROR', plugin: 'scripted', tool: 'run', driver: 'process', pluginCode: 'ECONNRESET' });
      expect(err.message).toBe('plugin "scripted" tool "run" failed in the process driver: socket hang up');
      expect((err.cause as Error).message).toBe('socket hang up');
    });
  });

  test('a plugin receives its own config from the host app', async () => {
    const mod = (): PluginModule => ({ tools: { cfg: { description: 'config', run: (_a, ctx) => ctx.config } } });
    await withHost({ modules: { a: mod, b: mod }, config: (name) => (name === 'a' ? { apiKey: 'k-a' } : undefined) }, async ({ host }) => {
      await host.load(manifest('a'));
      await host.load(manifest('b'));
      expect((await host.callTool('a', 'cfg')).structuredContent).toEqual({ apiKey: 'k-a' });
      expect((await host.callTool('b', 'cfg')).structuredContent).toEqual({});
    });
  });
});
