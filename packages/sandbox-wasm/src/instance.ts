/**
 * One running wasm plugin: a queue of calls (wasm is single-threaded per instance), a deadline
 * and cancellation per call, and the worker underneath. A call past its deadline, or cancelled
 * while running, terminates the worker and starts a fresh one for the next call. A trap ends
 * the instance (onExit) so the host's restart policy decides what happens next.
 */
import type { PluginManifest, ToolDef } from '@clawdesk/manifest';
import {
  CancelledError,
  type CallOptions,
  CrashedError,
  DisposedError,
  type DispatchOptions,
  errorResult,
  type ExitInfo,
  InvalidArgumentsError,
  InvalidOutputError,
  isToolResult,
  MemoryLimitError,
  OutputTooLargeError,
  type PluginDescription,
  type SandboxErrorOptions,
  type SandboxInstance,
  TimeoutError,
  ToolError,
  ToolNotFoundError,
  type ToolResult,
} from '@clawdesk/sandbox';
import type { PluginWorker, RawOutcome, WorkerDeath } from './plugin-worker.js';
import type { TrapReason } from './protocol.js';

export const DRIVER = 'wasm';
export const HOOK_EXPORT = 'on_hook';
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface InstanceSetup {
  manifest: PluginManifest;
  /** Export names in the order the worker indexes them. */
  exports: string[];
  maxOutputBytes: number;
  /** Starts a worker; `onDeath` fires if it dies on its own later. */
  spawn(onDeath: (death: WorkerDeath) => void): Promise<PluginWorker>;
  /** Frees what outlives workers (the /dev/null fd). */
  release(): void;
}

interface Job {
  exportIndex: number;
  input: string;
  where: SandboxErrorOptions;
  startedAt: number;
  timeoutMs: number;
  /** performance.now() past which the call times out. */
  deadline: number;
  settled: boolean;
  controller: AbortController | undefined;
  resolve(outcome: RawOutcome): void;
  reject(error: Error): void;
  cleanup(): void;
}

type Phase = 'running' | 'dead' | 'disposed';

export class WasmInstance implements SandboxInstance {
  readonly #setup: InstanceSetup;
  readonly #tools: Map<string, ToolDef>;
  readonly #exportIndex: Map<string, number>;
  #phase: Phase = 'running';
  #worker: PluginWorker | undefined;
  #generation = 0;
  #starting: Promise<void> | undefined;
  #disposing: Promise<void> | undefined;
  #queue: Job[] = [];
  #running: Job | undefined;
  #exit: ExitInfo | undefined;
  /** Workers being terminated; dispose() waits for them so no thread outlives it. */
  readonly #stopping = new Set<Promise<void>>();
  readonly #exitListeners = new Set<(info: ExitInfo) => void>();
  /**
   * One timer for every pending call's deadline, armed for the earliest one and re-armed lazily
   * when it fires: a per-call setTimeout/clearTimeout pair cost as much as the rest of a fast call.
   * Ref'd while calls are pending (it keeps the event loop alive while the unref'd worker works).
   */
  #watchdog: NodeJS.Timeout | undefined;
  #watchdogAt = Number.POSITIVE_INFINITY;

  private constructor(setup: InstanceSetup) {
    this.#setup = setup;
    this.#tools = new Map(setup.manifest.tools.map((t) => [t.name, t]));
    this.#exportIndex = new Map(setup.exports.map((name, i) => [name, i]));
  }

  static async start(setup: InstanceSetup): Promise<WasmInstance> {
    const instance = new WasmInstance(setup);
    const generation = instance.#generation;
    instance.#worker = await setup.spawn((death) => instance.#workerDied(generation, death));
    return instance;
  }

  async describe(): Promise<PluginDescription> {
    this.#assertUsable({});
    const { tools, hooks } = this.#setup.manifest;
    return { tools: tools.map((t) => ({ ...t })), hooks: [...hooks] };
  }

  async callTool(name: string, args: unknown, opts: CallOptions): Promise<ToolResult> {
    const where = { plugin: this.#setup.manifest.name, tool: name, driver: DRIVER };
    this.#assertUsable(where);
    if (!this.#tools.has(name)) throw new ToolNotFoundError(name, { ...where, available: [...this.#tools.keys()] });
    const raw = await this.#run(this.#exportIndex.get(name)!, serialize(args ?? {}, where), opts, where);
    switch (raw.status) {
      case 'ok': {
        // toToolResult() would stringify the value again; the plugin's text is already that JSON.
        const value = parseOutput(raw.text, where);
        return isToolResult(value) ? value : { content: [{ type: 'text', text: raw.text }], structuredContent: value };
      }
      case 'plugin-error':
        return errorResult(raw.message);
      case 'no-output':
        throw new InvalidOutputError('the tool returned without setting any output', where);
      default:
        throw this.#outputError(raw, where);
    }
  }

  async dispatch(hook: string, payload: unknown, opts: DispatchOptions): Promise<unknown> {
    const where = { plugin: this.#setup.manifest.name, tool: HOOK_EXPORT, driver: DRIVER, data: { hook } };
    this.#assertUsable(where);
    const index = this.#exportIndex.get(HOOK_EXPORT);
    if (index === undefined) return undefined; // the plugin listens to no hook
    const raw = await this.#run(index, serialize({ hook, payload }, where), opts, where);
    switch (raw.status) {
      case 'ok':
        return parseOutput(raw.text, where);
      case 'no-output':
        return undefined;
      case 'plugin-error':
        throw new ToolError(raw.message, where);
      default:
        throw this.#outputError(raw, where);
    }
  }

  dispose(): Promise<void> {
    this.#disposing ??= this.#dispose();
    return this.#disposing;
  }

  onExit(listener: (info: ExitInfo) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  // ── calls ────────────────────────────────────────────────────────────────────────────────

  #run(exportIndex: number, input: string, opts: CallOptions, where: SandboxErrorOptions): Promise<RawOutcome> {
    const { signal, timeoutMs } = opts;
    if (signal.aborted) return Promise.reject(new CancelledError({ ...where, reason: signal.reason }));
    return new Promise<RawOutcome>((resolve, reject) => {
      const startedAt = performance.now();
      const job: Job = {
        exportIndex,
        input,
        where,
        startedAt,
        timeoutMs,
        deadline: startedAt + clampTimer(timeoutMs),
        settled: false,
        controller: undefined,
        resolve,
        reject,
        cleanup: () => signal.removeEventListener('abort', onAbort),
      };
      const onAbort = () => this.#abandon(job, new CancelledError({ ...where, reason: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(job);
      this.#arm(job.deadline);
      this.#pump();
    });
  }

  #arm(deadline: number): void {
    const timer = this.#watchdog;
    if (timer !== undefined && deadline >= this.#watchdogAt) {
      timer.ref();
      return;
    }
    clearTimeout(timer);
    this.#watchdogAt = deadline;
    this.#watchdog = setTimeout(() => this.#expire(), Math.max(0, deadline - performance.now()));
  }

  /** The watchdog fired: time out every call past its deadline, re-arm for the next one. */
  #expire(): void {
    this.#watchdog = undefined;
    this.#watchdogAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const job of this.#running ? [this.#running, ...this.#queue] : [...this.#queue]) {
      // Within a timer tick of its deadline counts as due, as a per-call timer would have fired.
      if (job.deadline - now < 1) this.#abandon(job, new TimeoutError(job.timeoutMs, { ...job.where, elapsedMs: Math.round(now - job.startedAt) }));
      else next = Math.min(next, job.deadline);
    }
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
  }

  #disarm(): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    this.#watchdogAt = Number.POSITIVE_INFINITY;
  }

  #pump(): void {
    if (this.#phase !== 'running' || this.#running !== undefined || this.#worker === undefined) return;
    const job = this.#queue.shift();
    if (job === undefined) {
      // Nothing pending: the armed watchdog may stay, but must not hold the process open.
      this.#watchdog?.unref();
      return;
    }
    this.#running = job;
    const worker = this.#worker;
    const signalOf = () => (job.controller ??= new AbortController()).signal;
    worker.call(job.exportIndex, job.input, signalOf).then((raw) => this.#finish(job, worker, raw));
  }

  #finish(job: Job, worker: PluginWorker, raw: RawOutcome | undefined): void {
    if (raw === undefined || job.settled || worker !== this.#worker) return; // abandoned meanwhile
    this.#running = undefined;
    if (raw.status === 'trap') {
      settle(job, this.#trapError(job.where, raw.reason, raw.message));
      this.#die({ reason: raw.reason, message: raw.message });
      return;
    }
    settle(job, raw);
    this.#pump();
  }

  /** Ends a job early. A running one cannot be interrupted in place: its worker is replaced. */
  #abandon(job: Job, error: Error): void {
    if (job.settled) return;
    settle(job, error);
    job.controller?.abort(error);
    if (job === this.#running) {
      this.#running = undefined;
      this.#replaceWorker();
    } else {
      const at = this.#queue.indexOf(job);
      if (at >= 0) this.#queue.splice(at, 1);
    }
    if (this.#running === undefined && this.#queue.length === 0) this.#watchdog?.unref();
  }

  #stopWorker(worker: PluginWorker | undefined = this.#worker): void {
    if (worker === this.#worker) this.#worker = undefined;
    if (worker === undefined) return;
    const stopping = worker.terminate();
    this.#stopping.add(stopping);
    void stopping.then(() => this.#stopping.delete(stopping));
  }

  #replaceWorker(): void {
    this.#stopWorker();
    const generation = ++this.#generation;
    const starting = this.#setup.spawn((death) => this.#workerDied(generation, death)).then(
      (worker) => {
        if (this.#phase !== 'running' || generation !== this.#generation) {
          this.#stopWorker(worker);
          return;
        }
        this.#worker = worker;
        this.#pump();
      },
      (error: unknown) => this.#die({ reason: 'crash', message: `restarting after a timeout failed: ${messageOf(error)}` }),
    );
    this.#starting = starting.finally(() => {
      if (this.#starting === starting) this.#starting = undefined;
    });
  }

  // ── endings ──────────────────────────────────────────────────────────────────────────────

  #workerDied(generation: number, death: WorkerDeath): void {
    if (generation !== this.#generation || this.#phase !== 'running') return;
    const job = this.#running;
    this.#running = undefined;
    if (job) settle(job, this.#trapError(job.where, death.reason, death.message, { exitCode: death.code }));
    this.#die({ reason: death.reason, message: death.message, code: death.code ?? null });
  }

  /** The instance ends on its own: every pending call fails, listeners hear it once. */
  #die(info: ExitInfo): void {
    if (this.#phase !== 'running') return;
    this.#phase = 'dead';
    this.#exit = info;
    this.#generation++;
    this.#stopWorker();
    this.#rejectAll((where) => this.#deadError(where));
    this.#setup.release();
    for (const listener of [...this.#exitListeners]) {
      try {
        listener(info);
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }

  async #dispose(): Promise<void> {
    const wasRunning = this.#phase === 'running';
    this.#phase = 'disposed';
    this.#generation++;
    this.#rejectAll((where) => new DisposedError(where));
    this.#stopWorker();
    await this.#starting; // a worker starting now is stopped as soon as it is up
    await Promise.all(this.#stopping);
    if (wasRunning) this.#setup.release();
  }

  #rejectAll(error: (where: SandboxErrorOptions) => Error): void {
    this.#disarm();
    const jobs = this.#running ? [this.#running, ...this.#queue] : [...this.#queue];
    this.#running = undefined;
    this.#queue = [];
    for (const job of jobs) {
      const e = error(job.where);
      settle(job, e);
      job.controller?.abort(e);
    }
  }

  /** A cap that did its job is MEMORY_LIMIT naming the cap; any other trap is CRASHED. `data.reason` and `data.detail` say which and how. */
  #trapError(where: SandboxErrorOptions, reason: TrapReason, message: string, extra: Record<string, unknown> = {}): Error {
    const data = { ...where.data, reason, ...extra };
    if (reason === 'memory') return new MemoryLimitError(this.#setup.manifest.permissions.memoryMb, { ...where, data: { ...data, detail: message } });
    return new CrashedError(message, { ...where, data });
  }

  #assertUsable(where: SandboxErrorOptions): void {
    if (this.#phase === 'disposed') throw new DisposedError(where);
    if (this.#phase === 'dead') throw this.#deadError(where);
  }

  #deadError(where: SandboxErrorOptions): CrashedError {
    const exit = this.#exit;
    return new CrashedError(`the plugin stopped earlier (${exit?.reason}: ${exit?.message}); instantiate it again`, {
      ...where,
      data: { ...where.data, reason: exit?.reason },
    });
  }

  #outputError(raw: RawOutcome, where: SandboxErrorOptions): Error {
    if (raw.status === 'too-large') return new OutputTooLargeError(this.#setup.maxOutputBytes, { ...where, bytes: raw.bytes });
    if (raw.status === 'invalid-utf8') return new InvalidOutputError('the output is not valid UTF-8', where);
    return new InvalidOutputError(`unexpected outcome ${raw.status}`, where);
  }
}

function settle(job: Job, outcome: RawOutcome | Error): void {
  if (job.settled) return;
  job.settled = true;
  job.cleanup();
  if (outcome instanceof Error) job.reject(outcome);
  else job.resolve(outcome);
}

function serialize(value: unknown, where: SandboxErrorOptions): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    throw new InvalidArgumentsError([{ path: '', message: `not JSON-serializable: ${messageOf(error)}` }], where);
  }
}

function parseOutput(text: string, where: SandboxErrorOptions): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new InvalidOutputError(`the output is not JSON: ${JSON.stringify(preview)}`, where);
  }
}

function clampTimer(ms: number): number {
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_TIMER_MS) : MAX_TIMER_MS;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
