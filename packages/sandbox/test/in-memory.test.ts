import { createRecordingLogger, createTestContext, type TestContext } from '../src/conformance.js';
import {
  createInMemoryDriver,
  NOTHING_ENFORCED,
  permissionGaps,
  type PluginModule,
  resultValue,
  type SandboxInstance,
  type SandboxDriver,
  simulateCrash,
} from '../src/index.js';
import { existsSync } from 'node:fs';
import { nativeManifest } from './fixtures/manifest.js';

const opts = (timeoutMs = 5_000, signal = new AbortController().signal) => ({ signal, timeoutMs });

const tools: PluginModule = {
  tools: {
    echo: { description: 'echo', run: (args) => args },
    fail: {
      description: 'throws',
      run: () => {
        throw new Error('city not found');
      },
    },
    rejectString: { description: 'rejects with a string', run: () => Promise.reject('plain string') },
    bigint: { description: 'returns a BigInt', run: () => ({ n: 1n }) },
    mutate: {
      description: 'mutates its arguments',
      run: (args: { list: number[] }) => {
        args.list.push(99);
        return args;
      },
    },
    context: {
      description: 'reports its context',
      run: async (_args, ctx) => {
        ctx.log.info('working', { step: 1 });
        const download = await ctx.browserDownload('https://cdn.example/a.png');
        return { config: ctx.config, dataDir: ctx.dataDir, aborted: ctx.signal.aborted, download };
      },
    },
    watchSignal: {
      description: 'records why its signal aborted',
      run: (_args, ctx) =>
        new Promise(() => {
          started.push(true);
          ctx.signal.addEventListener('abort', () => seen.push(ctx.signal.reason));
        }),
    },
  },
  hooks: {
    on_message: (payload: { text: string }) => ({ text: payload.text.toUpperCase() }),
    on_fail: () => {
      throw new Error('hook broke');
    },
  },
};
const seen: unknown[] = [];
const started: boolean[] = [];

describe('the in-memory driver', () => {
  let ctx: TestContext;
  let instance: SandboxInstance | undefined;
  const manifest = nativeManifest('tools');

  beforeEach(() => {
    ctx = createTestContext(manifest, {
      config: { units: 'metric' },
      browserDownload: async (url) => ({ path: `${ctx.dataDir}/a.png`, bytes: 3, sha256: 'abc', contentType: `image/png; from ${url}` }),
    });
    seen.length = 0;
    started.length = 0;
  });
  afterEach(async () => {
    await instance?.dispose();
    instance = undefined;
    ctx.cleanup();
  });

  const start = async (driver: SandboxDriver = createInMemoryDriver({ modules: { tools } })) => {
    instance = await driver.instantiate(manifest, ctx);
    return instance;
  };

  test('it is a native driver shipped by @clawdesk/sandbox that supports registered plugin names only', () => {
    const driver = createInMemoryDriver({ modules: { tools } });
    expect([driver.kind, driver.packageName]).toEqual(['native', '@clawdesk/sandbox']);
    expect(driver.supports(manifest)).toBe(true);
    expect(driver.supports(nativeManifest('other'))).toBe(false);
    expect(driver.supports(nativeManifest('toString'))).toBe(false);
  });

  test('it reports that it enforces no permission and only part of the timeout', () => {
    expect(createInMemoryDriver({ modules: {} }).enforcement(manifest)).toEqual({
      network: 'not-enforced',
      fsRead: 'not-enforced',
      fsWrite: 'not-enforced',
      env: 'not-enforced',
      memory: 'not-enforced',
      timeout: 'partial',
    });
  });

  test('a name@version key serves that version in preference to the bare name', async () => {
    const v1: PluginModule = { tools: { v: { description: 'v', run: () => 1 } } };
    const v2: PluginModule = { tools: { v: { description: 'v', run: () => 2 } } };
    const i = await start(createInMemoryDriver({ modules: { tools: v1, 'tools@1.0.0': v2 } }));
    expect(resultValue(await i.callTool('v', {}, opts()))).toBe(2);
  });

  test('a factory runs once per instance, so instances do not share state', async () => {
    let made = 0;
    const driver = createInMemoryDriver({
      modules: {
        tools: () => {
          let calls = 0;
          made++;
          return { tools: { count: { description: 'count', run: () => ++calls } } };
        },
      },
    });
    const a = await driver.instantiate(manifest, ctx);
    const b = await driver.instantiate(manifest, ctx);
    try {
      await a.callTool('count', {}, opts());
      expect(resultValue(await a.callTool('count', {}, opts()))).toBe(2);
      expect(resultValue(await b.callTool('count', {}, opts()))).toBe(1);
      expect(made).toBe(2);
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });

  test('an unregistered plugin, a throwing factory and a malformed module fail with LOAD_FAILED saying why', async () => {
    const failures: Array<[Parameters<typeof createInMemoryDriver>[0]['modules'], RegExp]> = [
      [{}, /plugin "tools" failed to load: no in-memory module registered as "tools@1.0.0" or "tools"/],
      [{ tools: () => { throw new Error('boom'); } }, /module factory threw: boom/],
      [{ tools: { tools: { a: { description: 'a' } } } as unknown as PluginModule }, /not a PluginModule: tools\.a\.run must be a function/],
      [{ tools: { tools: {}, hooks: { h: 1 } } as unknown as PluginModule }, /hooks\.h must be a function/],
      [{ tools: (() => null) as unknown as () => PluginModule }, /expected an object, got null/],
    ];
    for (const [modules, message] of failures) {
      await expect(createInMemoryDriver({ modules }).instantiate(manifest, ctx)).rejects.toMatchObject({ code: 'LOAD_FAILED', message: expect.stringMatching(message) });
    }
  });

  test('an already-aborted instantiate signal rejects with CANCELLED', async () => {
    const driver = createInMemoryDriver({ modules: { tools } });
    await expect(driver.instantiate(manifest, ctx, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  test('describe lists each tool with its description and inputSchema, and the hooks', async () => {
    const withSchema: PluginModule = {
      tools: { a: { description: 'A tool', inputSchema: { type: 'object' }, run: () => null }, b: { description: 'B', run: () => null } },
      hooks: { on_x: () => null },
    };
    const i = await start(createInMemoryDriver({ modules: { tools: withSchema } }));
    expect(await i.describe()).toEqual({
      tools: [
        { name: 'a', description: 'A tool', inputSchema: { type: 'object' } },
        { name: 'b', description: 'B' },
      ],
      hooks: ['on_x'],
    });
  });

  test('a tool that throws gives an isError result carrying its message, not a rejection', async () => {
    const i = await start();
    expect(await i.callTool('fail', {}, opts())).toEqual({ content: [{ type: 'text', text: 'city not found' }], isError: true });
    expect(await i.callTool('rejectString', {}, opts())).toEqual({ content: [{ type: 'text', text: 'plain string' }], isError: true });
  });

  test('a tool returning a value JSON cannot carry rejects with INVALID_OUTPUT naming the tool', async () => {
    const i = await start();
    await expect(i.callTool('bigint', {}, opts())).rejects.toMatchObject({
      code: 'INVALID_OUTPUT',
      plugin: 'tools',
      tool: 'bigint',
      driver: 'in-memory',
    });
  });

  test('arguments that are not JSON reject with INVALID_ARGUMENTS before the tool runs', async () => {
    const i = await start();
    await expect(i.callTool('echo', { n: 1n }, opts())).rejects.toMatchObject({ code: 'INVALID_ARGUMENTS' });
  });

  test('missing arguments arrive as an empty object', async () => {
    const i = await start();
    expect(resultValue(await i.callTool('echo', undefined, opts()))).toEqual({});
  });

  test('arguments and results are copied, so the plugin cannot change the caller’s objects', async () => {
    const i = await start();
    const args = { list: [1, 2] };
    const result = await i.callTool('mutate', args, opts());
    expect(args.list).toEqual([1, 2]);
    expect(resultValue(result)).toEqual({ list: [1, 2, 99] });
  });

  test('the tool sees the host config, dataDir, a scoped logger, browserDownload and a live signal', async () => {
    const i = await start();
    expect(resultValue(await i.callTool('context', {}, opts()))).toEqual({
      config: { units: 'metric' },
      dataDir: ctx.dataDir,
      aborted: false,
      download: { path: `${ctx.dataDir}/a.png`, bytes: 3, sha256: 'abc', contentType: 'image/png; from https://cdn.example/a.png' },
    });
    expect(ctx.logger.entries).toEqual([{ level: 'info', message: 'working', fields: { tool: 'context', step: 1 } }]);
  });

  test('a timeout rejects with TIMEOUT carrying timeoutMs and elapsedMs, and aborts ctx.signal with that error', async () => {
    const i = await start();
    const error = await i.callTool('watchSignal', {}, opts(50)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT', tool: 'watchSignal', data: { timeoutMs: 50, elapsedMs: expect.any(Number) } });
    expect(seen).toEqual([error]);
  });

  test('a cancel rejects with CANCELLED whose cause is the abort reason, and aborts ctx.signal', async () => {
    const i = await start();
    const controller = new AbortController();
    const pending = i.callTool('watchSignal', {}, opts(5_000, controller.signal));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(started).toEqual([true]);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED', cause: reason });
    expect(seen).toHaveLength(1);
  });

  test('a call cancelled before its turn never runs the tool', async () => {
    const i = await start();
    const controller = new AbortController();
    const pending = i.callTool('watchSignal', {}, opts(5_000, controller.signal));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(started).toEqual([]);
  });

  test('timeoutMs must be a positive number; the error names the option and what arrived', async () => {
    const i = await start();
    for (const bad of [0, -1, Number.NaN, '100']) {
      await expect(i.callTool('echo', {}, opts(bad as number))).rejects.toThrow(`timeoutMs must be a positive number of milliseconds, got ${String(bad)} (${typeof bad})`);
    }
  });

  test('a timeoutMs beyond what Node timers hold means no limit instead of an immediate timeout', async () => {
    const i = await start();
    expect(resultValue(await i.callTool('echo', { ok: 1 }, opts(Number.POSITIVE_INFINITY)))).toEqual({ ok: 1 });
    expect(resultValue(await i.callTool('echo', { ok: 2 }, opts(2 ** 40)))).toEqual({ ok: 2 });
  });

  test('hooks get a copy of the payload; unknown hooks resolve undefined; a throwing hook rejects with TOOL_ERROR', async () => {
    const i = await start();
    expect(await i.dispatch('on_message', { text: 'hi' }, opts())).toEqual({ text: 'HI' });
    expect(await i.dispatch('on_nothing', {}, opts())).toBeUndefined();
    await expect(i.dispatch('on_fail', {}, opts())).rejects.toMatchObject({
      code: 'TOOL_ERROR',
      message: 'plugin "tools" failed: hook "on_fail" threw: hook broke',
      data: { hook: 'on_fail' },
    });
  });

  test('an onExit listener added after a crash still hears about it, and unsubscribing stops delivery', async () => {
    const crashy: PluginModule = { tools: { crash: { description: 'crash', run: () => simulateCrash('out of cheese') } } };
    const i = await start(createInMemoryDriver({ modules: { tools: crashy } }));
    const early: unknown[] = [];
    const unsubscribed: unknown[] = [];
    i.onExit((info) => early.push(info));
    i.onExit((info) => unsubscribed.push(info))();
    await expect(i.callTool('crash', {}, opts())).rejects.toMatchObject({ code: 'CRASHED', message: 'plugin "tools" crashed: out of cheese' });
    const late = await new Promise((resolve) => i.onExit(resolve));
    expect(late).toEqual({ reason: 'crash', code: null, signal: null, message: 'out of cheese' });
    expect(early).toEqual([late]);
    expect(unsubscribed).toEqual([]);
    await expect(i.describe()).rejects.toMatchObject({ code: 'CRASHED' });
  });

  test('a throwing onExit listener is logged and does not stop the others', async () => {
    const crashy: PluginModule = { tools: { crash: { description: 'crash', run: async () => simulateCrash() } } };
    const i = await start(createInMemoryDriver({ modules: { tools: crashy } }));
    const heard: string[] = [];
    i.onExit(() => {
      throw new Error('listener bug');
    });
    i.onExit((info) => heard.push(info.reason));
    await expect(i.callTool('crash', {}, opts())).rejects.toMatchObject({ code: 'CRASHED' });
    expect(heard).toEqual(['crash']);
    expect(ctx.logger.entries).toContainEqual({ level: 'error', message: 'onExit listener threw', fields: { error: 'listener bug' } });
  });
});

test('createRecordingLogger keeps entries in order with their level and fields', () => {
  const log = createRecordingLogger();
  log.debug('a');
  log.warn('b', { n: 1 });
  expect(log.entries).toEqual([
    { level: 'debug', message: 'a' },
    { level: 'warn', message: 'b', fields: { n: 1 } },
  ]);
});

test('createTestContext makes a private temp dataDir that cleanup() removes, and a browserDownload that refuses', async () => {
  const ctx = createTestContext(nativeManifest('ctx'));
  try {
    expect(existsSync(ctx.dataDir)).toBe(true);
    expect(ctx.config).toEqual({});
    await expect(ctx.browserDownload('https://x.example/f')).rejects.toMatchObject({ code: 'PERMISSION_DENIED', plugin: 'ctx' });
  } finally {
    ctx.cleanup();
  }
  expect(existsSync(ctx.dataDir)).toBe(false);
});

describe('permissionGaps', () => {
  it('lists what is not enforced, in report order, with the reason', () => {
    const report = { ...NOTHING_ENFORCED, timeout: 'enforced' as const, memory: 'partial' as const, reasons: { memory: 'V8 heap only', network: 'no network namespace' } };
    expect(permissionGaps(report)).toEqual([
      { permission: 'network', level: 'not-enforced', reason: 'no network namespace' },
      { permission: 'fsRead', level: 'not-enforced' },
      { permission: 'fsWrite', level: 'not-enforced' },
      { permission: 'env', level: 'not-enforced' },
      { permission: 'memory', level: 'partial', reason: 'V8 heap only' },
    ]);
  });
});
