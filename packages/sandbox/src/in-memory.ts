import type { PluginManifest } from '@clawdesk/manifest';
import {
  CancelledError,
  CrashedError,
  DisposedError,
  InvalidArgumentsError,
  InvalidOutputError,
  LoadFailedError,
  type SandboxError,
  type SandboxErrorOptions,
  TimeoutError,
  ToolError,
  ToolNotFoundError,
} from './errors.js';
import type { ModuleTool, PluginCallContext, PluginModule } from './plugin-module.js';
import { IN_PROCESS_ENFORCEMENT } from './enforcement.js';
import { errorResult, toToolResult } from './result.js';
import type {
  CallOptions,
  ExitInfo,
  Logger,
  PermissionReport,
  PluginDescription,
  SandboxContext,
  SandboxDriver,
  SandboxInstance,
  ToolResult,
} from './types.js';

/** A module, or a factory called once per `instantiate` (so every instance starts with fresh state). */
export type InMemoryModuleSource = PluginModule | (() => PluginModule | Promise<PluginModule>);

export interface InMemoryDriverOptions {
  /** Modules by manifest `name`, or by `name@version` to serve two versions side by side (hot-reload tests). */
  modules: Record<string, InMemoryModuleSource>;
}

const DRIVER = 'in-memory';
/** Node clamps larger delays to 1 ms (TimeoutOverflowWarning); treat them as "no limit" instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A driver that runs `PluginModule`s in this process, for tests of hosts and tools. It isolates
 * nothing: timeouts and cancellation reject the call and abort `ctx.signal`, but code that ignores
 * the signal keeps running. A tool simulates a sandbox crash by calling `simulateCrash()`.
 */
export function createInMemoryDriver(options: InMemoryDriverOptions): SandboxDriver {
  const { modules } = options;
  const find = (m: PluginManifest) => own(modules, `${m.name}@${m.version}`) ?? own(modules, m.name);
  return {
    kind: 'native',
    packageName: '@clawdesk/sandbox',
    supports: (manifest) => find(manifest) !== undefined,
    enforcement: (): PermissionReport => ({ ...IN_PROCESS_ENFORCEMENT }),
    async instantiate(manifest, ctx, opts) {
      const where = { plugin: manifest.name, driver: DRIVER };
      if (opts?.signal?.aborted) throw new CancelledError({ ...where, reason: opts.signal.reason });
      const source = find(manifest);
      if (source === undefined) {
        throw new LoadFailedError(`no in-memory module registered as "${manifest.name}@${manifest.version}" or "${manifest.name}"`, where);
      }
      let mod: unknown;
      try {
        mod = typeof source === 'function' ? await source() : source;
      } catch (cause) {
        throw new LoadFailedError(`module factory threw: ${messageOf(cause)}`, { ...where, cause });
      }
      const problems = moduleProblems(mod);
      if (problems.length > 0) throw new LoadFailedError(`not a PluginModule: ${problems.join('; ')}`, where);
      return new InMemoryInstance(manifest, ctx, mod as PluginModule);
    },
  };
}

/** Thrown by `simulateCrash()`; the in-memory instance treats it as its sandbox dying. */
class SimulatedCrash extends Error {}

/**
 * Call inside a tool or hook run by the in-memory driver (in its promise chain) to simulate the
 * sandbox dying: every in-flight call rejects with `CrashedError`, `onExit` fires with reason
 * `crash`, and later calls reject with `CrashedError`.
 */
export function simulateCrash(detail = 'simulated crash'): never {
  throw new SimulatedCrash(detail);
}

type Stop = (error: SandboxError) => void;
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

class InMemoryInstance implements SandboxInstance {
  readonly #manifest: PluginManifest;
  readonly #ctx: SandboxContext;
  readonly #module: PluginModule;
  readonly #inFlight = new Set<Stop>();
  readonly #listeners = new Set<(info: ExitInfo) => void>();
  #state: 'active' | 'crashed' | 'disposed' = 'active';
  #exit: ExitInfo | undefined;

  constructor(manifest: PluginManifest, ctx: SandboxContext, mod: PluginModule) {
    this.#manifest = manifest;
    this.#ctx = ctx;
    this.#module = mod;
  }

  async describe(): Promise<PluginDescription> {
    this.#throwIfEnded({});
    const tools = Object.entries(this.#module.tools).map(([name, tool]) => ({
      name,
      description: tool.description,
      ...(tool.inputSchema ? { inputSchema: tool.inputSchema } : {}),
    }));
    return { tools, hooks: Object.keys(this.#module.hooks ?? {}) };
  }

  async callTool(name: string, args: unknown, opts: CallOptions): Promise<ToolResult> {
    const where = { tool: name };
    this.#throwIfEnded(where);
    const tool: ModuleTool | undefined = own(this.#module.tools, name);
    if (tool === undefined) {
      throw new ToolNotFoundError(name, { ...this.#where(where), available: Object.keys(this.#module.tools) });
    }
    const input = cloneArgs(args ?? {}, this.#where(where));
    const outcome = await this.#invoke(where, opts, (ctx) => tool.run(input, ctx));
    if (!outcome.ok) return errorResult(messageOf(outcome.error));
    // A JSON round trip, so host and plugin never share objects (as with every real sandbox).
    return toToolResult(cloneJson(outcome.value ?? null, this.#where(where)));
  }

  /** A hook the module does not handle resolves `undefined`; a hook that throws rejects with `ToolError`. */
  async dispatch(hook: string, payload: unknown, opts: CallOptions): Promise<unknown> {
    const where = { data: { hook } };
    this.#throwIfEnded(where);
    const handler = own(this.#module.hooks ?? {}, hook);
    if (handler === undefined) return undefined;
    const input = cloneArgs(payload, this.#where(where));
    const outcome = await this.#invoke(where, opts, (ctx) => handler(input, ctx));
    if (!outcome.ok) {
      throw new ToolError(`hook "${hook}" threw: ${messageOf(outcome.error)}`, { ...this.#where(where), cause: outcome.error });
    }
    return outcome.value === undefined ? undefined : cloneJson(outcome.value, this.#where(where));
  }

  async dispose(): Promise<void> {
    if (this.#state === 'disposed') return;
    this.#state = 'disposed';
    this.#listeners.clear();
    for (const stop of [...this.#inFlight]) stop(new DisposedError(this.#where({})));
  }

  /** A listener added after the instance crashed still hears about it (on the next microtask). */
  onExit(listener: (info: ExitInfo) => void): () => void {
    if (this.#state === 'disposed') return () => {};
    const exit = this.#exit;
    if (exit !== undefined) queueMicrotask(() => listener(exit));
    else this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Runs plugin code against the call's timeout, signal, dispose and crash; the first to happen wins. */
  #invoke(where: SandboxErrorOptions, opts: CallOptions, body: (ctx: PluginCallContext) => unknown): Promise<Outcome> {
    const timeoutMs = checkTimeout(opts.timeoutMs);
    const full = this.#where(where);
    return new Promise<Outcome>((resolve, reject) => {
      if (opts.signal.aborted) return reject(new CancelledError({ ...full, reason: opts.signal.reason }));
      const controller = new AbortController();
      const started = performance.now();
      let settled = false;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal.removeEventListener('abort', onAbort);
        this.#inFlight.delete(stop);
        settle();
      };
      const stop: Stop = (error) => {
        finish(() => reject(error));
        controller.abort(error);
      };
      const onAbort = () => stop(new CancelledError({ ...full, reason: opts.signal.reason }));
      const timer =
        timeoutMs > MAX_TIMER_MS
          ? undefined
          : setTimeout(() => {
              const elapsedMs = Math.round(performance.now() - started);
              stop(new TimeoutError(timeoutMs, { ...full, elapsedMs }));
            }, timeoutMs);
      opts.signal.addEventListener('abort', onAbort, { once: true });
      this.#inFlight.add(stop);
      const ctx = this.#callContext(controller.signal, where);
      Promise.resolve()
        // A call stopped before its turn never starts: no plugin code runs for it.
        .then(() => (settled ? undefined : body(ctx)))
        .then(
          (value) => finish(() => resolve({ ok: true, value })),
          (error: unknown) => {
            if (error instanceof SimulatedCrash) this.#crash(error.message);
            else finish(() => resolve({ ok: false, error }));
          },
        );
    });
  }

  #crash(detail: string): void {
    if (this.#state !== 'active') return;
    this.#state = 'crashed';
    this.#exit = { reason: 'crash', code: null, signal: null, message: detail };
    for (const stop of [...this.#inFlight]) stop(new CrashedError(detail, this.#where({})));
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) {
      try {
        listener(this.#exit);
      } catch (error) {
        this.#ctx.logger.error('onExit listener threw', { error: messageOf(error) });
      }
    }
  }

  #throwIfEnded(where: SandboxErrorOptions): void {
    if (this.#state === 'disposed') throw new DisposedError(this.#where(where));
    if (this.#state === 'crashed') throw new CrashedError(this.#exit?.message ?? 'crashed', this.#where(where));
  }

  #where(where: SandboxErrorOptions): SandboxErrorOptions {
    return { ...where, plugin: this.#manifest.name, driver: DRIVER };
  }

  #callContext(signal: AbortSignal, where: SandboxErrorOptions): PluginCallContext {
    const ctx = this.#ctx;
    return {
      signal,
      log: scopeLogger(ctx.logger, where.tool ? { tool: where.tool } : { ...where.data }),
      config: ctx.config,
      dataDir: ctx.dataDir,
      browserDownload: (url) => ctx.browserDownload(url, { signal }),
    };
  }
}

function scopeLogger(logger: Logger, fields: Record<string, unknown>): Logger {
  const at =
    (level: keyof Logger) =>
    (message: string, extra?: Record<string, unknown>): void =>
      logger[level](message, { ...fields, ...extra });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function checkTimeout(timeoutMs: unknown): number {
  if (typeof timeoutMs === 'number' && timeoutMs > 0) return timeoutMs;
  throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)} (${typeof timeoutMs})`);
}

function cloneArgs(value: unknown, where: SandboxErrorOptions): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new InvalidArgumentsError([{ path: '', message: `not JSON-serializable (${messageOf(cause)})` }], { ...where, cause });
  }
  if (text === undefined) throw new InvalidArgumentsError([{ path: '', message: `${typeof value} is not JSON` }], where);
  return JSON.parse(text) as unknown;
}

function cloneJson<T>(value: T, where: SandboxErrorOptions): T {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new InvalidOutputError(`not JSON-serializable (${messageOf(cause)})`, { ...where, cause });
  }
  if (text === undefined) throw new InvalidOutputError(`${typeof value} is not JSON`, where);
  return JSON.parse(text) as T;
}

function moduleProblems(mod: unknown): string[] {
  if (typeof mod !== 'object' || mod === null) return [`expected an object, got ${mod === null ? 'null' : typeof mod}`];
  const { tools, hooks } = mod as { tools?: unknown; hooks?: unknown };
  if (typeof tools !== 'object' || tools === null) return ['"tools" must be an object of tools'];
  const problems = Object.entries(tools).flatMap(([name, tool]) =>
    typeof (tool as ModuleTool | null)?.run === 'function' ? [] : [`tools.${name}.run must be a function`],
  );
  if (hooks !== undefined) {
    if (typeof hooks !== 'object' || hooks === null) problems.push('"hooks" must be an object of functions');
    else
      for (const [name, hook] of Object.entries(hooks)) {
        if (typeof hook !== 'function') problems.push(`hooks.${name} must be a function`);
      }
  }
  return problems;
}

/** Own properties only, so a tool named "constructor" or "__proto__" is not found on the prototype. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
