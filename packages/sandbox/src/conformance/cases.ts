import type { PluginManifest } from '@clawdesk/manifest';
import { resultValue } from '../result.js';
import type { CallOptions, ExitInfo, SandboxContext, SandboxDriver, SandboxInstance, ToolResult } from '../types.js';
import { assert, assertJsonEqual, assertRejected, preview, settleWithin } from './assert.js';
import { createTestContext } from './context.js';
import { bigPayload, ECHO_PAYLOADS } from './payloads.js';
import { countResources, settle, surplus, trackResources } from './resources.js';

export interface ConformanceOptions {
  /** Names the `describe` block, e.g. the driver's package. */
  name: string;
  /** A fresh driver; called once per test. */
  createDriver(): SandboxDriver | Promise<SandboxDriver>;
  /**
   * The driver's conformance plugin: tools `echo`, `sleep` ({ms} → {slept: ms}), `spin` (never returns),
   * `crash` (the sandbox dies) and hook `on_test` (→ {got: payload}).
   */
  loadPlugin(): Promise<PluginManifest>;
  /** Default: `createTestContext(manifest)` (temp dataDir, config {}, recording logger, browserDownload rejects). A `cleanup()` method on the context is called after each test. */
  createContext?(manifest: PluginManifest): SandboxContext | Promise<SandboxContext>;
  supports?: {
    /** `false` when a timed-out call's code keeps running (native). Default `true`. */
    killRunawayCall?: boolean;
    /** `false` when the plugin cannot take its sandbox down (native). Default `true`. */
    crash?: boolean;
  };
  /** Driver-specific live resources (child pids, worker threads); must be non-empty while an instance runs and `[]` after dispose. */
  liveResources?(): Promise<unknown[]> | unknown[];
  /** Resource types to ignore in the leak check, as `process.getActiveResourcesInfo()` or async_hooks name them. */
  ignoreResourceTypes?: string[];
}

/** One check of the suite: register it with any runner, or call `run()` directly. */
export interface ConformanceCase {
  name: string;
  /** Time the runner should allow for `run()`. */
  timeoutMs: number;
  run(): Promise<void>;
}

/** The per-call limit used when a test is not about timeouts: generous, so a loaded machine does not fail it. */
const CALL_LIMIT_MS = 15_000;
const SPIN_TIMEOUT_MS = 300;
/** How late a TIMEOUT rejection may arrive after `timeoutMs`. */
const TIMEOUT_SLACK_MS = 250;
const CANCEL_SLACK_MS = 500;
const LEAK_SETTLE_MS = 2_500;
const CASE_TIMEOUT_MS = 30_000;
const REQUIRED_TOOLS = ['echo', 'sleep', 'spin'];

const callOpts = (timeoutMs = CALL_LIMIT_MS, signal = new AbortController().signal): CallOptions => ({ signal, timeoutMs });

/** The suite as plain cases; `defineConformanceSuite` registers these as tests. */
export function createConformanceCases(options: ConformanceOptions): ConformanceCase[] {
  const killRunaway = options.supports?.killRunawayCall ?? true;
  const canCrash = options.supports?.crash ?? true;
  let manifest: Promise<PluginManifest> | undefined;
  const loadOnce = () => (manifest ??= options.loadPlugin());

  /** A fresh instance for one test, always disposed and cleaned up afterwards. */
  async function withInstance(fn: (instance: SandboxInstance) => Promise<void>): Promise<void> {
    const m = await loadOnce();
    const ctx = await (options.createContext ?? createTestContext)(m);
    let instance: SandboxInstance | undefined;
    try {
      const driver = await options.createDriver();
      instance = await driver.instantiate(m, ctx);
      await fn(instance);
    } finally {
      try {
        await instance?.dispose();
      } finally {
        (ctx as { cleanup?: () => void }).cleanup?.();
      }
    }
  }

  const call = (instance: SandboxInstance, tool: string, args: unknown, what: string, timeoutMs?: number) =>
    settleWithin(() => instance.callTool(tool, args, callOpts(timeoutMs)), CALL_LIMIT_MS + 5_000, what);

  async function answered(instance: SandboxInstance, tool: string, args: unknown, what: string): Promise<unknown> {
    const settled = await call(instance, tool, args, what);
    if (settled.status === 'rejected') assert.fail(`${what}: rejected with ${describeError(settled.reason)}`);
    assert.ok(!settled.value.isError, `${what}: returned an error result ${preview(settled.value)}`);
    return resultValue(settled.value);
  }

  async function echoes(instance: SandboxInstance, args: Record<string, unknown>, what: string): Promise<void> {
    assertJsonEqual(await answered(instance, 'echo', args, what), args, what);
  }

  const cases: ConformanceCase[] = [
    {
      name: 'describe() lists the conformance tools with their descriptions and the on_test hook',
      run: () =>
        withInstance(async (instance) => {
          const description = await instance.describe();
          const names = description.tools.map((t) => t.name);
          for (const name of canCrash ? [...REQUIRED_TOOLS, 'crash'] : REQUIRED_TOOLS) {
            assert.ok(names.includes(name), `describe() should list tool "${name}", got [${names.join(', ')}]`);
          }
          for (const tool of description.tools) {
            assert.ok(typeof tool.description === 'string' && tool.description.trim() !== '', `tool "${tool.name}" has no description`);
          }
          assert.ok(description.hooks.includes('on_test'), `describe() should list hook "on_test", got [${description.hooks.join(', ')}]`);
        }),
    },
    {
      name: 'echo returns arbitrary JSON unchanged: unicode, emoji, astral characters, control characters, deep nesting',
      run: () =>
        withInstance(async (instance) => {
          for (const { name, args } of ECHO_PAYLOADS) await echoes(instance, args, `echo of ${name}`);
        }),
    },
    {
      name: 'echo returns a payload of about 1 MB unchanged',
      run: () => withInstance((instance) => echoes(instance, bigPayload(), 'echo of a ~1 MB payload')),
    },
    {
      name: 'calling an unknown tool rejects with TOOL_NOT_FOUND naming the tool',
      run: () =>
        withInstance(async (instance) => {
          for (const tool of ['no_such_tool', 'constructor']) {
            const error = assertRejected(await call(instance, tool, {}, `callTool("${tool}")`), 'TOOL_NOT_FOUND', `callTool("${tool}")`);
            assert.match(String(error.message), new RegExp(tool), `the TOOL_NOT_FOUND message should name "${tool}"`);
          }
          await echoes(instance, { still: 'alive' }, 'echo after unknown tools');
        }),
    },
    {
      name: killRunaway
        ? `a call past its timeoutMs rejects with TIMEOUT within timeoutMs + ${TIMEOUT_SLACK_MS} ms, and the plugin answers the next call`
        : `a call past its timeoutMs rejects with TIMEOUT within timeoutMs + ${TIMEOUT_SLACK_MS} ms, and the plugin still answers (this driver cannot stop the runaway code, which keeps running)`,
      run: () =>
        withInstance(async (instance) => {
          const what = `spin with timeoutMs ${SPIN_TIMEOUT_MS}`;
          const settled = await call(instance, 'spin', {}, what, SPIN_TIMEOUT_MS);
          assertRejected(settled, 'TIMEOUT', what);
          assert.ok(settled.elapsedMs >= SPIN_TIMEOUT_MS - 5, `${what}: rejected early, after ${Math.round(settled.elapsedMs)} ms`);
          assert.ok(
            settled.elapsedMs <= SPIN_TIMEOUT_MS + TIMEOUT_SLACK_MS,
            `${what}: rejected after ${Math.round(settled.elapsedMs)} ms, more than ${TIMEOUT_SLACK_MS} ms late`,
          );
          if (killRunaway) await echoes(instance, { after: 'timeout' }, 'echo after a timed-out spin');
          else assertJsonEqual(await answered(instance, 'sleep', { ms: 20 }, 'sleep after a timed-out spin'), { slept: 20 }, 'sleep after a timed-out spin');
        }),
    },
    {
      name: 'aborting a call through its AbortSignal rejects it with CANCELLED promptly, and the plugin answers the next call',
      run: () =>
        withInstance(async (instance) => {
          const controller = new AbortController();
          const pending = settleWithin(
            () => instance.callTool('sleep', { ms: 20_000 }, callOpts(CALL_LIMIT_MS * 2, controller.signal)),
            CALL_LIMIT_MS,
            'aborted sleep',
          );
          await new Promise((resolve) => setTimeout(resolve, 100));
          const abortedAt = performance.now();
          controller.abort(new Error('user pressed stop'));
          const settled = await pending;
          const late = performance.now() - abortedAt;
          assertRejected(settled, 'CANCELLED', 'aborted sleep');
          assert.ok(late <= CANCEL_SLACK_MS, `aborted sleep: rejected ${Math.round(late)} ms after abort(), more than ${CANCEL_SLACK_MS} ms`);
          await echoes(instance, { after: 'cancel' }, 'echo after a cancelled call');
        }),
    },
    {
      name: 'a call whose signal is already aborted rejects with CANCELLED',
      run: () =>
        withInstance(async (instance) => {
          const signal = AbortSignal.abort(new Error('cancelled before the call'));
          const what = 'echo with an aborted signal';
          assertRejected(await settleWithin(() => instance.callTool('echo', { x: 1 }, callOpts(CALL_LIMIT_MS, signal)), CALL_LIMIT_MS, what), 'CANCELLED', what);
        }),
    },
    canCrash
      ? {
          name: 'a crash rejects the call with CRASHED, fires onExit once with reason "crash", and later calls reject',
          run: () =>
            withInstance(async (instance) => {
              const exits: ExitInfo[] = [];
              let heard: () => void = () => {};
              const exited = new Promise<void>((resolve) => (heard = resolve));
              instance.onExit((info) => {
                exits.push(info);
                heard();
              });
              assertRejected(await call(instance, 'crash', {}, 'crash'), 'CRASHED', 'crash');
              await settleWithin(() => exited, 5_000, 'onExit after a crash');
              await new Promise((resolve) => setTimeout(resolve, 100));
              assert.equal(exits.length, 1, `onExit should fire once, fired ${exits.length} times: ${preview(exits)}`);
              assert.equal(exits[0]?.reason, 'crash', `onExit reason: ${preview(exits[0])}`);
              const later = await call(instance, 'echo', {}, 'echo after a crash');
              assert.equal(later.status, 'rejected', `echo after a crash should reject, got ${preview(later)}`);
            }),
        }
      : {
          name: 'this driver cannot crash its sandbox: calling crash settles, onExit does not fire, and the plugin answers the next call',
          run: () =>
            withInstance(async (instance) => {
              const exits: ExitInfo[] = [];
              instance.onExit((info) => exits.push(info));
              const settled = await call(instance, 'crash', {}, 'crash');
              if (settled.status === 'fulfilled') assert.ok(settled.value.isError, `crash should report an error result, got ${preview(settled.value)}`);
              else assert.ok(typeof (settled.reason as { code?: unknown }).code === 'string', `crash rejected without a code: ${describeError(settled.reason)}`);
              await echoes(instance, { after: 'crash' }, 'echo after crash');
              assert.deepEqual(exits, [], 'onExit fired although this driver declares it cannot crash');
            }),
        },
    {
      name: '100 concurrent echo calls with distinct payloads each get their own answer',
      run: () =>
        withInstance(async (instance) => {
          const args = Array.from({ length: 100 }, (_, i) => ({ i, tag: `call-${i}-${'é😀'.repeat(i % 7)}`, pad: 'x'.repeat(i * 37) }));
          const results = await settleWithin(
            () => Promise.all(args.map((a) => instance.callTool('echo', a, callOpts()))),
            CALL_LIMIT_MS,
            '100 concurrent echo calls',
          );
          if (results.status === 'rejected') assert.fail(`100 concurrent echo calls: one rejected with ${describeError(results.reason)}`);
          results.value.forEach((result: ToolResult, i) => assertJsonEqual(resultValue(result), args[i], `concurrent echo #${i}`));
        }),
    },
    {
      name: 'dispatching on_test resolves to {got: payload}',
      run: () =>
        withInstance(async (instance) => {
          const payload = { message: 'hi 👋', n: [1, 2, 3], nested: { ok: true } };
          const settled = await settleWithin(() => instance.dispatch('on_test', payload, callOpts()), CALL_LIMIT_MS, 'dispatch on_test');
          if (settled.status === 'rejected') assert.fail(`dispatch on_test rejected with ${describeError(settled.reason)}`);
          assertJsonEqual(settled.value, { got: payload }, 'dispatch on_test');
        }),
    },
    {
      name: 'dispose() rejects in-flight calls with DISPOSED, is idempotent, rejects later calls, and does not fire onExit',
      run: () =>
        withInstance(async (instance) => {
          const exits: ExitInfo[] = [];
          instance.onExit((info) => exits.push(info));
          const inFlight = [1, 2, 3].map((n) =>
            settleWithin(() => instance.callTool('sleep', { ms: 20_000 + n }, callOpts(CALL_LIMIT_MS * 2)), CALL_LIMIT_MS, `in-flight sleep #${n}`),
          );
          await new Promise((resolve) => setTimeout(resolve, 100));
          await settleWithin(() => instance.dispose(), CALL_LIMIT_MS, 'dispose()');
          for (const [i, settled] of (await Promise.all(inFlight)).entries()) assertRejected(settled, 'DISPOSED', `in-flight sleep #${i + 1}`);
          const again = await settleWithin(() => instance.dispose(), CALL_LIMIT_MS, 'second dispose()');
          assert.equal(again.status, 'fulfilled', `a second dispose() should resolve, got ${preview(again)}`);
          assertRejected(await call(instance, 'echo', {}, 'echo after dispose'), 'DISPOSED', 'echo after dispose');
          assert.deepEqual(exits, [], 'onExit must not fire for dispose()');
        }),
    },
    {
      name: 'dispose() leaves no open handle, child process or thread behind',
      run: async () => {
        const ignore = options.ignoreResourceTypes ?? [];
        await loadOnce();
        const before = countResources(ignore);
        const tracker = trackResources(ignore);
        try {
          await withInstance(async (instance) => {
            await echoes(instance, { hello: 'leaks' }, 'echo before dispose');
            assertJsonEqual(await answered(instance, 'sleep', { ms: 10 }, 'sleep before dispose'), { slept: 10 }, 'sleep before dispose');
            if (options.liveResources) {
              const live = await options.liveResources();
              assert.ok(live.length > 0, 'liveResources() returned [] while an instance was running, so it cannot detect leaks');
            }
          });
          tracker.stopRecording();
          const left = await settle(
            () => ({ ...prefixed('active ', surplus(before, countResources(ignore))), ...prefixed('created and still referenced: ', tracker.alive()) }),
            LEAK_SETTLE_MS,
          );
          assert.deepEqual(left, {}, `resources left ${LEAK_SETTLE_MS} ms after dispose(), by type: ${preview(left)}`);
        } finally {
          tracker.close();
        }
        if (options.liveResources) {
          const live = options.liveResources;
          const remaining = await settle(async () => [...(await live())], LEAK_SETTLE_MS);
          assert.deepEqual(remaining, [], `liveResources() after dispose(): ${preview(remaining)}`);
        }
      },
    },
  ].map((c) => ({ timeoutMs: CASE_TIMEOUT_MS, ...c }));
  return cases;
}

function prefixed(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([type, n]) => [prefix + type, n]));
}

function describeError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e instanceof Object ? `${String(e.code ?? 'no code')}: ${String(e.message)}` : preview(error);
}
