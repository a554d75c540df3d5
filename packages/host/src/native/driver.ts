import path from 'node:path';
import type { PluginManifest } from '@clawdesk/manifest';
import {
  type CallOptions,
  CancelledError,
  Deadlines,
  DisposedError,
  errorResult,
  type ExitInfo,
  IN_PROCESS_ENFORCEMENT,
  InvalidOutputError,
  LoadFailedError,
  type PermissionReport,
  type PluginCallContext,
  type PluginDescription,
  type PluginModule,
  type SandboxContext,
  type SandboxDriver,
  type SandboxInstance,
  ToolError,
  ToolNotFoundError,
  type ToolResult,
  toToolResult,
} from '@clawdesk/sandbox';
import { CallTracker, raceCall } from '../race.js';
import { loadEntry } from './load-module.js';
import { toPluginModule } from './plugin-module.js';

const DRIVER = 'native';

/**
 * The in-process driver for trusted plugins (`sandbox: "native"`). It loads the entry module into
 * the host's own process: fastest, and no isolation at all. It enforces no permission; a call
 * past its timeout is abandoned (the caller gets `TimeoutError`, the plugin's `signal` aborts), but
 * code that never yields cannot be stopped. A plugin that throws from a stray callback can crash
 * the host. Use `@clawdesk/sandbox-process` or `@clawdesk/sandbox-wasm` for anything untrusted.
 */
export function createNativeDriver(): SandboxDriver {
  // Per driver, so two hosts never share cache-busting counters or timers.
  let loads = 0;
  const deadlines = new Deadlines();
  return {
    kind: 'native',
    packageName: '@clawdesk/host',
    supports: (m: PluginManifest) => m.sandbox === 'native' && runtimeMatches(m.runtime),
    enforcement: (): PermissionReport => ({ ...IN_PROCESS_ENFORCEMENT }),
    async instantiate(manifest: PluginManifest, ctx: SandboxContext, opts?: { signal?: AbortSignal }): Promise<SandboxInstance> {
      ctx.logger.warn(
        `plugin "${manifest.name}" runs in-process (native driver): no isolation, permissions not enforced, runaway code cannot be stopped; load trusted plugins only`,
        { driver: DRIVER },
      );
      const file = path.resolve(manifest.dir, manifest.entry);
      const where = { plugin: manifest.name, driver: DRIVER };
      let exported: unknown;
      try {
        exported = await loadEntry(file, manifest.dir, ++loads);
      } catch (err) {
        throw new LoadFailedError(`cannot load ${file}: ${messageOf(err)}`, { ...where, cause: err });
      }
      if (opts?.signal?.aborted) throw new CancelledError({ ...where, reason: opts.signal.reason });
      const mod = toPluginModule(exported);
      if (typeof mod === 'string') throw new LoadFailedError(`${file}: ${mod}`, where);
      return new NativeInstance(manifest.name, mod, ctx, deadlines);
    },
  };
}

function runtimeMatches(runtime: string): boolean {
  if (runtime === 'node') return true;
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  return (runtime === 'bun' && g.Bun !== undefined) || (runtime === 'deno' && g.Deno !== undefined);
}

/**
 * The host's direct path into a native instance. The host already races every call against its
 * deadline and the caller's signal and drains calls before disposing, so it skips the driver's
 * own copy of those guards. `opts.signal` is read only if the plugin reads `ctx.signal`.
 */
export const IN_PROCESS_CALL: unique symbol = Symbol('clawdesk.native.inProcessCall');

export type InProcessCall = (kind: 'tool' | 'hook', name: string, input: unknown, opts: CallOptions) => Promise<unknown>;

class NativeInstance implements SandboxInstance {
  #disposed = false;
  /** In-flight calls, failed by `dispose()`. */
  readonly #tracker = new CallTracker();

  constructor(
    private readonly plugin: string,
    private readonly mod: PluginModule,
    private readonly ctx: SandboxContext,
    private readonly deadlines: Deadlines,
  ) {}

  async describe(): Promise<PluginDescription> {
    if (this.#disposed) throw new DisposedError({ plugin: this.plugin, driver: DRIVER });
    return {
      tools: Object.entries(this.mod.tools).map(([name, t]) => ({
        name,
        description: t.description ?? '',
        ...(t.inputSchema ? { inputSchema: t.inputSchema } : {}),
      })),
      hooks: Object.keys(this.mod.hooks ?? {}),
    };
  }

  callTool(name: string, args: unknown, opts: CallOptions): Promise<ToolResult> {
    return this.#guarded('tool', name, args, opts) as Promise<ToolResult>;
  }

  dispatch(hook: string, payload: unknown, opts: CallOptions): Promise<unknown> {
    return this.#guarded('hook', hook, payload, opts);
  }

  readonly [IN_PROCESS_CALL]: InProcessCall = (kind, name, input, opts) => {
    if (this.#disposed) return Promise.reject(new DisposedError({ plugin: this.plugin, tool: name, driver: DRIVER }));
    return this.#execute(kind, name, input, new CallContext(this.ctx, opts));
  };

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const err = new DisposedError({ plugin: this.plugin, driver: DRIVER });
    this.#tracker.failAll(() => err);
  }

  // Native code never ends on its own: nothing to report.
  onExit(_listener: (info: ExitInfo) => void): () => void {
    return () => {};
  }

  /**
   * Runs the plugin code for one call. A plugin function that answers synchronously is not
   * awaited (each await is a turn of the microtask queue, and this is the hot path).
   */
  #execute(kind: 'tool' | 'hook', name: string, input: unknown, ctx: PluginCallContext): Promise<unknown> {
    if (kind === 'hook') {
      const fn = this.mod.hooks && Object.hasOwn(this.mod.hooks, name) ? this.mod.hooks[name] : undefined;
      // A hook the plugin does not handle is an event nobody listens to.
      if (!fn) return Promise.resolve(undefined);
      const hookError = (err: unknown) =>
        new ToolError(`hook "${name}" threw: ${messageOf(err)}`, { plugin: this.plugin, driver: DRIVER, cause: err, data: { hook: name } });
      let out: unknown;
      try {
        out = fn(input, ctx);
      } catch (err) {
        return Promise.reject(hookError(err));
      }
      return isThenable(out)
        ? Promise.resolve(out).then(undefined, (err) => {
            throw hookError(err);
          })
        : Promise.resolve(out);
    }
    const tool = Object.hasOwn(this.mod.tools, name) ? this.mod.tools[name] : undefined;
    if (!tool) {
      return Promise.reject(new ToolNotFoundError(name, { plugin: this.plugin, driver: DRIVER, available: Object.keys(this.mod.tools) }));
    }
    let out: unknown;
    try {
      out = tool.run(input, ctx);
    } catch (err) {
      // A tool that throws reports a tool-level failure, not a sandbox failure.
      return Promise.resolve(errorResult(messageOf(err)));
    }
    if (isThenable(out)) return Promise.resolve(out).then((value) => this.#result(name, value), (err) => errorResult(messageOf(err)));
    try {
      return Promise.resolve(this.#result(name, out));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #result(tool: string, value: unknown): ToolResult {
    try {
      return toToolResult(value);
    } catch (err) {
      throw new InvalidOutputError(`result is not JSON-serializable: ${messageOf(err)}`, { plugin: this.plugin, tool, driver: DRIVER });
    }
  }

  /** Used without the host: the same race the host runs (timeout, signal), plus this instance's disposal. */
  #guarded(kind: 'tool' | 'hook', name: string, input: unknown, opts: CallOptions): Promise<unknown> {
    const where = kind === 'tool' ? { plugin: this.plugin, tool: name, driver: DRIVER } : { plugin: this.plugin, hook: name, driver: DRIVER };
    if (this.#disposed) return Promise.reject(new DisposedError(where));
    if (opts.signal.aborted) return Promise.reject(new CancelledError({ ...where, reason: opts.signal.reason }));
    return raceCall(this.deadlines, where, opts.timeoutMs, opts, (o) => this.#execute(kind, name, input, new CallContext(this.ctx, o)), this.#tracker);
  }
}

/** What plugin code sees during one call. A class, not a literal with getters: one is built per call. */
class CallContext implements PluginCallContext {
  readonly #ctx: SandboxContext;
  readonly #call: { readonly signal: AbortSignal };
  #download: PluginCallContext['browserDownload'] | undefined;

  constructor(ctx: SandboxContext, call: { readonly signal: AbortSignal }) {
    this.#ctx = ctx;
    this.#call = call;
  }

  /** Made on first read (most calls never look). */
  get signal(): AbortSignal {
    return this.#call.signal;
  }

  get log(): PluginCallContext['log'] {
    return this.#ctx.logger;
  }

  get config(): PluginCallContext['config'] {
    return this.#ctx.config;
  }

  get dataDir(): string {
    return this.#ctx.dataDir;
  }

  /** Bound, so `const { browserDownload } = ctx` works. */
  get browserDownload(): PluginCallContext['browserDownload'] {
    return (this.#download ??= (url) => this.#ctx.browserDownload(url, { signal: this.signal }));
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function messageOf(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}
