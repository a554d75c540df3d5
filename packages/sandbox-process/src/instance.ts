import type { PluginManifest, ToolDef } from '@clawdesk/manifest';
import {
  callAborted,
  callAbortReason,
  type CallOptions,
  CancelledError,
  CrashedError,
  type Deadlines,
  DisposedError,
  type ExitInfo,
  InvalidOutputError,
  LoadFailedError,
  MAX_TIMER_MS,
  MemoryLimitError,
  offCallAbort,
  onCallAbort,
  OutputTooLargeError,
  type PluginDescription,
  type ProgressReport,
  RuntimeMissingError,
  type SandboxContext,
  type SandboxError,
  type SandboxErrorOptions,
  type SandboxInstance,
  TimeoutError,
  ToolNotFoundError,
  type ToolResult,
} from '@clawdesk/sandbox';
import { describeExit, exitData, ranOutOfMemory, stderrSuffix, toCallError, toLoadError } from './errors.js';
import { handshake, listTools, reconcileTools } from './handshake.js';
import type { RequestId } from './jsonrpc/messages.js';
import type { Outcome } from './jsonrpc/peer.js';
import type { PluginIsolation } from './isolation/index.js';
import type { DriverConfig, ProcessRuntime } from './options.js';
import { rootsFor } from './mcp/roots.js';
import { ToolRelister } from './mcp/tool-updates.js';
import { PLUGIN_METHODS } from './protocol.js';
import { INSTALL_HINTS } from './runtime/binary.js';
import type { Launch } from './runtime/launch.js';
import { ProcessEnded, Session, type SessionEnd } from './session.js';

/**
 * `starting`: first handshake; `ready`: serving; `restarting`: killed after a timeout, a fresh
 * process is on its way (calls wait for it); `dead`: crashed, onExit fired, the host decides;
 * `disposed`: closed by the host.
 */
type State = 'starting' | 'ready' | 'restarting' | 'dead' | 'disposed';

export interface InstanceDeps {
  manifest: PluginManifest;
  ctx: SandboxContext;
  launch: Launch;
  isolation?: PluginIsolation;
  runtime: ProcessRuntime;
  config: DriverConfig;
  /** The driver's call deadlines (one timer for all its calls); limits past `MAX_TIMER_MS` mean no deadline. */
  deadlines: Deadlines;
}

/** Holds new calls back; `pending` counts the timed-out calls whose grace is still running. */
interface Gate {
  resolve(ready: Promise<Session>): void;
  pending: number;
}


/** One plugin running as a child process; restarts its process by itself after a call timed out. */
export class ProcessInstance implements SandboxInstance {
  readonly #deps: InstanceDeps;
  readonly #where: SandboxErrorOptions;
  #state: State = 'starting';
  #session: Session | undefined;
  /** What calls wait for: the current session, a restart, or the reason there will be none. */
  #ready: Promise<Session>;
  /** The session `#ready` holds when it is already resolved to one: calls go straight to it, without a promise hop. */
  #serving: Session | undefined;
  #tools: ToolDef[] = [];
  #hooks: string[] = [];
  #restartReason = '';
  /** While a timed-out call's grace runs, new calls wait here for the verdict: same process, or a fresh one. */
  #gate: Gate | undefined;
  #disposing: Promise<void> | undefined;
  readonly #listeners = new Set<(info: ExitInfo) => void>();
  readonly #descriptionListeners = new Set<(description: PluginDescription) => void>();
  /** Progress token → the listening call's `onProgress`, while that call runs. */
  readonly #progress = new Map<string, (report: ProgressReport) => void>();
  #progressTokens = 0;
  readonly #relister = new ToolRelister(
    () => this.#relist(),
    (error) => this.#deps.ctx.logger.warn('re-listing tools after tools/list_changed failed; keeping the previous list', { error: String(error) }),
  );

  private constructor(deps: InstanceDeps) {
    this.#deps = deps;
    this.#where = { plugin: deps.manifest.name, driver: 'process' };
    this.#ready = new Promise(() => undefined);
  }

  /** Spawns the plugin and completes the handshake; on any failure nothing is left running. */
  static async start(deps: InstanceDeps, signal?: AbortSignal): Promise<ProcessInstance> {
    const instance = new ProcessInstance(deps);
    const session = await instance.#startSession(signal);
    instance.#state = 'ready';
    instance.#ready = Promise.resolve(session);
    instance.#serving = session;
    return instance;
  }

  async describe(): Promise<PluginDescription> {
    return { tools: this.#tools.map((t) => ({ ...t })), hooks: [...this.#hooks] };
  }

  callTool(name: string, args: unknown, opts: CallOptions): Promise<ToolResult> {
    const where = { ...this.#where, tool: name };
    if (!this.#tools.some((t) => t.name === name)) {
      return Promise.reject(new ToolNotFoundError(name, { ...where, available: this.#tools.map((t) => t.name) }));
    }
    // A progress token only when the caller listens: the plain call stays as it was.
    const token = opts.onProgress ? `progress-${++this.#progressTokens}` : undefined;
    const params = token === undefined ? { name, arguments: args ?? {} } : { name, arguments: args ?? {}, _meta: { progressToken: token } };
    if (token !== undefined) this.#progress.set(token, opts.onProgress!);
    const call = this.#call(PLUGIN_METHODS.toolsCall, params, opts, where, 'tool', (result) => {
      if (typeof result !== 'object' || result === null || !Array.isArray((result as { content?: unknown }).content)) {
        throw new InvalidOutputError('"tools/call" result has no "content" array', where);
      }
      return result as ToolResult;
    });
    if (token === undefined) return call;
    const forget = () => void this.#progress.delete(token);
    void call.then(forget, forget);
    return call;
  }

  dispatch(hook: string, payload: unknown, opts: CallOptions): Promise<unknown> {
    const where = { ...this.#where, data: { hook } };
    return this.#call(PLUGIN_METHODS.hook, { hook, payload: payload ?? null }, opts, where, 'hook', (result) => result);
  }

  onExit(listener: (info: ExitInfo) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called with the new description after the server announced `notifications/tools/list_changed` and was listed again. */
  onDescriptionChange(listener: (description: PluginDescription) => void): () => void {
    this.#descriptionListeners.add(listener);
    return () => this.#descriptionListeners.delete(listener);
  }

  /** `tools/list` again on the current process; the tools a call may reach follow it. */
  async #relist(): Promise<void> {
    const session = this.#session;
    if (!session || this.#state !== 'ready') return;
    const tools = reconcileTools(this.#deps.manifest, await listTools(session, this.#where), this.#where);
    if (session !== this.#session || this.#state !== 'ready') return;
    this.#tools = tools;
    const description = await this.describe();
    for (const listener of [...this.#descriptionListeners]) {
      try {
        listener(description);
      } catch (error) {
        this.#deps.ctx.logger.error('onDescriptionChange listener threw', { error: String(error) });
      }
    }
  }

  dispose(): Promise<void> {
    if (this.#disposing) return this.#disposing;
    this.#state = 'disposed';
    const disposed = new DisposedError(this.#where);
    this.#setReady(Promise.reject(disposed));
    const session = this.#session;
    session?.peer.close(disposed);
    this.#disposing = session ? session.stop(this.#deps.config.killGraceMs).then(() => undefined) : Promise.resolve();
    return this.#disposing;
  }

  /** Process id of the current plugin process, for diagnostics and tests. */
  get pid(): number | undefined {
    return this.#session?.child.pid;
  }

  /** Messages to the plugin its stdin has not taken yet (bounded: past 4 MiB the host stops reading its stdout). */
  get backlog(): { messages: number; bytes: number; throttled: boolean } | undefined {
    return this.#session?.backlog;
  }

  async #startSession(signal?: AbortSignal): Promise<Session> {
    const { launch, ctx, config } = this.#deps;
    const session: Session = new Session({
      launch,
      ...(this.#deps.isolation ? { isolation: this.#deps.isolation } : {}),
      ctx,
      maxMessageBytes: config.maxMessageBytes,
      maxLogLinesPerSecond: config.maxLogLinesPerSecond,
      onEnd: (end) => this.#onSessionEnd(session, end),
      roots: rootsFor(this.#deps.manifest),
      onToolsChanged: () => {
        if (session === this.#session) void this.#relister.trigger();
      },
      onProgress: (token, report) => {
        const listener = this.#progress.get(String(token));
        try {
          listener?.(report);
        } catch (error) {
          this.#deps.ctx.logger.error('onProgress listener threw', { error: String(error) });
        }
      },
    });
    this.#session = session;
    try {
      const result = await withBudget(
        handshake(session, ctx, this.#where),
        config.startTimeoutMs,
        signal,
        () =>
          new LoadFailedError(
            `did not finish the handshake (initialize, tools/list) within ${config.startTimeoutMs} ms; raise startTimeoutMs (in its manifest, createHost or createProcessDriver options) if it starts slowly`,
            { ...this.#where, data: { startTimeoutMs: config.startTimeoutMs } },
          ),
        (reason) => new CancelledError({ ...this.#where, reason }),
      );
      if (this.#state === 'disposed') throw new DisposedError(this.#where);
      this.#tools = reconcileTools(this.#deps.manifest, result.offered, this.#where);
      this.#hooks = [...new Set([...this.#deps.manifest.hooks, ...result.hooks])];
      return session;
    } catch (error) {
      await session.stop(0);
      throw error instanceof ProcessEnded ? this.#endError(error.end, true, this.#where) : toLoadError(error, this.#where);
    }
  }

  /** The error a request (`where`) gets when `end` ends its process. */
  #endError(end: SessionEnd, starting: boolean, where: SandboxErrorOptions): SandboxError {
    const data = { ...where.data, ...exitData(end) };
    // Disposed while the process was still running: our own kill. A process that ended on its
    // own keeps its real cause even if the host disposed the instance right after.
    if (this.#state === 'disposed' && end.cause === 'killed') return new DisposedError(where);
    if (end.cause === 'oversize') return new OutputTooLargeError(this.#deps.config.maxMessageBytes, { ...where, bytes: end.bytes ?? 0 });
    if (end.exit.spawnError) {
      const spawnError = end.exit.spawnError as NodeJS.ErrnoException;
      if (spawnError.code === 'ENOENT') {
        return new RuntimeMissingError(this.#deps.runtime, INSTALL_HINTS[this.#deps.runtime], { ...where, cause: spawnError });
      }
      return new LoadFailedError(`could not start ${this.#deps.runtime}: ${spawnError.message}`, { ...where, cause: spawnError });
    }
    if (end.exit.oomKilled) {
      // The memory cgroup, not the runtime, stopped it: the whole tree went over permissions.memoryMb.
      return new MemoryLimitError(this.#deps.manifest.permissions.memoryMb, { ...where, data: { ...data, reason: 'memory', detail: 'the memory cgroup' } });
    }
    if (starting) {
      if (end.cause === 'killed') return new LoadFailedError('stopped during start', { ...where, data });
      if (end.exit.code === 0 && !end.exit.signal && this.#deps.manifest.format !== 'openclaw') {
        // Ended cleanly before answering `initialize`: nothing serves stdio (an entry that only exports a plugin).
        // (OpenClaw's runner serves for its plugin: a clean exit there is the plugin's own doing.)
        const entry = this.#deps.manifest.entry;
        return new LoadFailedError(
          `its entry ${entry} exited (exit code 0) without answering initialize: a process plugin must serve stdio — with @clawdesk/plugin-sdk, call serve(plugin) in ${entry}; a module that only exports its plugin runs only with sandbox "native"${stderrSuffix(end)}`,
          { ...where, data: { ...data, reason: 'no-server' } },
        );
      }
      return new LoadFailedError(`exited during start with ${describeExit(end)}${stderrSuffix(end)}`, { ...where, data });
    }
    if (end.cause === 'killed') {
      return new CrashedError(`its process was restarted because ${this.#restartReason}`, { ...where, data: { ...data, reason: 'timeout' } });
    }
    if (ranOutOfMemory(end)) {
      // The runtime's heap limit (memoryMb) stopped it: the same typed error as the cgroup's.
      return new MemoryLimitError(this.#deps.manifest.permissions.memoryMb, { ...where, data: { ...data, reason: 'memory', detail: 'the JavaScript heap' } });
    }
    return new CrashedError(`exited unexpectedly with ${describeExit(end)}${stderrSuffix(end)}`, { ...where, data });
  }

  /** A process we did not stop ended while serving: the instance is dead and the host hears about it. */
  #onSessionEnd(session: Session, end: SessionEnd): void {
    if (session !== this.#session || end.cause === 'killed') return;
    if (this.#state !== 'ready' && this.#state !== 'restarting') return;
    const error = this.#endError(end, false, this.#where);
    const reason = error.data.reason === 'memory' ? 'memory' : 'crash';
    this.#die({ reason, code: end.exit.code, signal: end.exit.signal, message: error.message }, error);
  }

  #die(info: ExitInfo, error: SandboxError): void {
    if (this.#state === 'dead' || this.#state === 'disposed') return;
    this.#state = 'dead';
    this.#setReady(Promise.reject(error));
    for (const listener of [...this.#listeners]) {
      try {
        listener(info);
      } catch (listenerError) {
        this.#deps.ctx.logger.error('onExit listener threw', { error: String(listenerError) });
      }
    }
  }

  /** `serving`: the session `ready` is already resolved to, if any. */
  #setReady(ready: Promise<Session>, serving?: Session): void {
    ready.catch(() => undefined);
    this.#ready = ready;
    this.#serving = serving;
    // Whatever replaced the gate is the verdict for the calls waiting behind it.
    const gate = this.#gate;
    this.#gate = undefined;
    gate?.resolve(ready);
  }

  /** Kills a process that did not stop a timed-out call and starts a fresh one; calls wait for it. */
  #recycle(session: Session, why: string): void {
    if (session !== this.#session || this.#state !== 'ready') return;
    this.#state = 'restarting';
    this.#restartReason = why;
    this.#deps.ctx.logger.warn(`restarting plugin process: ${why}`, { pid: session.child.pid });
    const restarted: Promise<Session> = session
        .stop(this.#deps.config.killGraceMs)
        .then(() => {
          if (this.#state !== 'restarting') throw new DisposedError(this.#where);
          return this.#startSession();
        })
        .then(
          (next) => {
            if (this.#state === 'restarting') this.#state = 'ready';
            if (this.#ready === restarted && this.#state === 'ready') this.#serving = next;
            return next;
          },
          (error: unknown) => {
            const failure = new CrashedError(`could not restart after ${why}: ${(error as Error).message}`, { ...this.#where, cause: error });
            this.#die({ reason: 'crash', message: failure.message }, failure);
            throw this.#state === 'disposed' ? new DisposedError(this.#where) : failure;
          },
        );
    this.#setReady(restarted);
  }

  /** One request with the per-call timeout and signal; `accept` validates the result. */
  #call<T>(
    method: string,
    params: unknown,
    opts: CallOptions,
    where: SandboxErrorOptions,
    kind: 'tool' | 'hook',
    accept: (result: unknown) => T,
  ): Promise<T> {
    if (this.#state === 'disposed') return Promise.reject(new DisposedError(this.#where));
    // Through the call-abort helpers, not opts.signal: the host's options then make no AbortSignal.
    if (callAborted(opts)) return Promise.reject(new CancelledError({ ...where, reason: callAbortReason(opts) }));
    const started = performance.now();
    const { deadlines } = this.#deps;

    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let sent: { session: Session; id: RequestId } | undefined;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        if (deadline) deadlines.remove(deadline);
        offCallAbort(opts, onAbort);
        reject(error);
      };
      const onAbort = () => {
        const reason = callAbortReason(opts);
        // The host's own deadline fired first and aborted us with its TimeoutError: a timeout all the same (cancel, then recycle if ignored).
        if ((reason as { code?: unknown } | undefined)?.code === 'TIMEOUT') return onTimeout();
        fail(new CancelledError({ ...where, reason }));
        if (!sent) return;
        sent.session.peer.notify(PLUGIN_METHODS.cancelled, { requestId: sent.id, reason: 'cancelled by the host' });
        sent.session.peer.forget(sent.id);
      };
      const onTimeout = () => {
        const elapsedMs = Math.round(performance.now() - started);
        fail(new TimeoutError(opts.timeoutMs, { ...where, elapsedMs }));
        if (!sent) return;
        const label = kind === 'tool' ? `tool "${where.tool}"` : `hook "${(where.data as { hook: string }).hook}"`;
        this.#cancelOrRecycle(sent.session, sent.id, `${label} timed out after ${opts.timeoutMs} ms`);
      };
      const onOutcome = (outcome: Outcome) => {
        if (!outcome.ok) {
          const { error } = outcome;
          return fail(error instanceof ProcessEnded ? this.#endError(error.end, false, where) : toCallError(error, where, kind));
        }
        let value: T;
        try {
          value = accept(outcome.result);
        } catch (error) {
          return fail(error);
        }
        if (settled) return;
        settled = true;
        if (deadline) deadlines.remove(deadline);
        offCallAbort(opts, onAbort);
        resolve(value);
      };
      const send = (session: Session) => {
        if (settled) return;
        if (this.#state === 'disposed') return fail(new DisposedError(this.#where));
        sent = { session, id: session.peer.request(method, params, onOutcome) };
      };
      const deadline = opts.timeoutMs > 0 && opts.timeoutMs <= MAX_TIMER_MS ? deadlines.add(opts.timeoutMs, onTimeout) : undefined;
      // No `once`: every way out removes the listener itself, and the options object costs a validation per call.
      onCallAbort(opts, onAbort);

      if (this.#serving) send(this.#serving);
      else this.#ready.then(send, fail);
    });
  }

  /**
   * After a timeout: ask the plugin to stop the call. If it answers within the grace the process is
   * healthy; if not, it is recycled. New calls wait for the verdict instead of landing on a process about to die.
   */
  #cancelOrRecycle(session: Session, id: RequestId, why: string): void {
    const graceMs = this.#deps.config.cancelGraceMs;
    session.peer.notify(PLUGIN_METHODS.cancelled, { requestId: id, reason: why });
    if (session !== this.#session || this.#state !== 'ready') return;
    const gate = this.#closeGate();
    const grace = setTimeout(() => this.#recycle(session, `${why} and did not stop within ${graceMs} ms of being cancelled`), graceMs);
    // Any answer (a result, or serve()'s "request cancelled") shows the process is still responsive.
    const answered = () => {
      clearTimeout(grace);
      gate.pending -= 1;
      if (gate.pending === 0 && this.#gate === gate && session === this.#session && this.#state === 'ready') {
        this.#setReady(Promise.resolve(session), session);
      }
    };
    if (!session.peer.redirect(id, answered)) answered();
  }

  #closeGate(): Gate {
    if (!this.#gate) {
      let resolve!: (ready: Promise<Session>) => void;
      const waiting = new Promise<Session>((r) => (resolve = r));
      waiting.catch(() => undefined);
      this.#ready = waiting;
      this.#serving = undefined;
      this.#gate = { resolve, pending: 0 };
    }
    this.#gate.pending += 1;
    return this.#gate;
  }
}

/** Races `work` against a budget and a signal; the loser is not awaited. */
function withBudget<T>(
  work: Promise<T>,
  ms: number,
  signal: AbortSignal | undefined,
  onTimeout: () => Error,
  onAbort: (reason: unknown) => Error,
): Promise<T> {
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
    };
    const abort = () => {
      done();
      reject(onAbort(signal?.reason));
    };
    const timer = setTimeout(() => {
      done();
      reject(onTimeout());
    }, ms);
    if (signal?.aborted) return abort();
    signal?.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}
