import {
  CALL_ABORT,
  type CallAbortHook,
  type CallOptions,
  CancelledError,
  type Deadline,
  type Deadlines,
  type ProgressReport,
  TimeoutError,
} from '@clawdesk/sandbox';
import { type CallSite, wrapCallError } from './errors.js';

/** What a caller of `callTool` (and hooks) may pass. */
export interface CallToolOptions {
  /** Cancels the call (including time queued by `minCallIntervalMs`); rejects with `CancelledError`. */
  signal?: AbortSignal;
  /** Overrides the manifest's `timeoutMs` for this call. */
  timeoutMs?: number;
  /** The plugin's progress reports while the call runs (drivers that carry them: process, remote); none after it settled. */
  onProgress?: (progress: ProgressReport) => void;
}

/**
 * The calls in flight to one plugin version (or native instance), so a drain can wait for them
 * or give up on them. Linked through the calls themselves: a Set emptied by every call (one call
 * at a time) reallocates its table each time.
 */
export class CallTracker {
  /** @internal Most recently started call; each links to the one before. */
  last: RacedCall<unknown> | undefined = undefined;
  #size = 0;
  readonly #onEmpty: (() => void) | undefined;

  /** `onEmpty` runs each time the last call in flight settles. */
  constructor(onEmpty?: () => void) {
    this.#onEmpty = onEmpty;
  }

  get size(): number {
    return this.#size;
  }

  /** Fails every call in flight now, each with what `error()` makes for it. */
  failAll(error: () => Error): void {
    const calls: RacedCall<unknown>[] = [];
    for (let call = this.last; call; call = call.prev) calls.push(call);
    for (const call of calls.reverse()) call.fail(error());
  }

  /** @internal */
  link(call: RacedCall<unknown>): void {
    call.prev = this.last;
    if (this.last) this.last.next = call;
    this.last = call;
    this.#size += 1;
  }

  /** @internal */
  unlink(call: RacedCall<unknown>): void {
    if (call.prev) call.prev.next = call.next;
    if (call.next) call.next.prev = call.prev;
    else this.last = call.prev;
    call.prev = call.next = undefined;
    this.#size -= 1;
    if (this.#size === 0) this.#onEmpty?.();
  }
}

/**
 * Runs one plugin call under the host's own deadline and the caller's signal, whichever comes
 * first, so a driver that cannot stop its plugin still returns on time. The driver's signal is
 * aborted with the `TimeoutError` / `CancelledError` that won, so it can kill or cancel the work.
 * A result that arrives after the deadline (the event loop was blocked) is a timeout too.
 * Every rejection carries plugin, tool/hook and driver (`wrapCallError`).
 */
export function raceCall<T>(
  deadlines: Deadlines,
  where: CallSite,
  timeoutMs: number,
  caller: Pick<CallToolOptions, 'signal' | 'onProgress'> | undefined,
  run: (opts: CallOptions, started: number) => Promise<T>,
  tracker?: CallTracker,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const call = new RacedCall<T>(deadlines, where, timeoutMs, caller, tracker, resolve, reject);
    let pending: Promise<T>;
    try {
      pending = run(new LazySignalOptions(timeoutMs, call, call.progress), call.started);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => call.arrived(value),
      (err: Error) => call.fail(err),
    );
  });
}

/**
 * One raced call's state. A class rather than closures over locals: this is built on every call,
 * and one object with fields costs less than the half-dozen functions and their context. It is
 * also the driver's `CallAbortHook`: a driver that listens through it costs no AbortController.
 */
class RacedCall<T> implements CallAbortHook {
  /** Links in the tracker's list while in flight. */
  prev: RacedCall<unknown> | undefined = undefined;
  next: RacedCall<unknown> | undefined = undefined;
  readonly started = performance.now();
  /** What the driver's `onProgress` calls: the caller's listener until the call settles. */
  readonly progress: ((p: ProgressReport) => void) | undefined;
  readonly #deadlines: Deadlines;
  readonly #where: CallSite;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #tracker: CallTracker | undefined;
  readonly #resolve: (value: T) => void;
  readonly #reject: (error: Error) => void;
  readonly #deadline: Deadline;
  readonly #onAbort: (() => void) | undefined;
  /** Made only when someone reads the driver's `opts.signal`: an in-process plugin that never looks costs no AbortController. */
  #controller: AbortController | undefined;
  #failure: Error | undefined;
  #settled = false;
  /** Drivers listening through the hook: almost always none or one, so the first has a field of its own. */
  #abortListener: (() => void) | undefined;
  #moreAbortListeners: (() => void)[] | undefined;

  constructor(
    deadlines: Deadlines,
    where: CallSite,
    timeoutMs: number,
    caller: Pick<CallToolOptions, 'signal' | 'onProgress'> | undefined,
    tracker: CallTracker | undefined,
    resolve: (value: T) => void,
    reject: (error: Error) => void,
  ) {
    this.#deadlines = deadlines;
    this.#where = where;
    this.#timeoutMs = timeoutMs;
    this.#tracker = tracker;
    this.#resolve = resolve;
    this.#reject = reject;
    const listener = caller?.onProgress;
    this.progress = listener && ((p: ProgressReport) => void (this.#settled || listener(p)));
    tracker?.link(this as RacedCall<unknown>);
    this.#deadline = deadlines.add(timeoutMs, () => this.#timedOut());
    const signal = caller?.signal;
    this.#signal = signal;
    if (signal) {
      this.#onAbort = () => this.fail(new CancelledError({ ...where, reason: signal.reason }));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  get abortHook(): CallAbortHook {
    return this;
  }

  get aborted(): boolean {
    return this.#failure !== undefined;
  }

  get reason(): unknown {
    return this.#failure;
  }

  addAbortListener(listener: () => void): void {
    if (this.#failure) return;
    if (this.#abortListener === undefined) this.#abortListener = listener;
    else (this.#moreAbortListeners ??= []).push(listener);
  }

  removeAbortListener(listener: () => void): void {
    if (this.#abortListener === listener) {
      this.#abortListener = this.#moreAbortListeners?.shift();
      return;
    }
    const more = this.#moreAbortListeners;
    const i = more ? more.indexOf(listener) : -1;
    if (i >= 0) more!.splice(i, 1);
  }

  /** The signal the driver sees, aborted with the error that settled the call. */
  driverSignal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.#failure && !this.#controller.signal.aborted) this.#controller.abort(this.#failure);
    return this.#controller.signal;
  }

  /** The driver's answer; past the deadline it is a timeout all the same. */
  arrived(value: T): void {
    if (performance.now() - this.started > this.#timeoutMs) this.#timedOut();
    else this.#finish(undefined, value);
  }

  fail(err: Error): void {
    this.#finish(err);
  }

  #timedOut(): void {
    this.#finish(new TimeoutError(this.#timeoutMs, { ...this.#where, elapsedMs: Math.round(performance.now() - this.started) }));
  }

  #finish(err: Error | undefined, value?: T): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#deadlines.remove(this.#deadline);
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#tracker?.unlink(this as RacedCall<unknown>);
    if (err) {
      const failure = wrapCallError(err, this.#where);
      this.#failure = failure;
      this.#controller?.abort(failure);
      this.#tellAbortListeners();
      this.#reject(failure);
    } else this.#resolve(value as T);
  }

  /** As an 'abort' event would: each listener once, one that throws reported as uncaught without stopping the others. */
  #tellAbortListeners(): void {
    const first = this.#abortListener;
    if (!first) return;
    const listeners = [first, ...(this.#moreAbortListeners ?? [])];
    this.#abortListener = this.#moreAbortListeners = undefined;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }
}

/** What makes a `LazySignalOptions`' signal when it is first read, and answers its `CALL_ABORT` hook if it can. */
export interface SignalSource {
  driverSignal(): AbortSignal;
  readonly abortHook?: CallAbortHook | undefined;
}

/** `CallOptions` whose signal is made on first read. A class, not a literal with a getter: this is built on every call. */
export class LazySignalOptions implements CallOptions {
  readonly #source: SignalSource;
  constructor(
    readonly timeoutMs: number,
    source: SignalSource,
    readonly onProgress?: ((progress: ProgressReport) => void) | undefined,
  ) {
    this.#source = source;
  }

  get signal(): AbortSignal {
    return this.#source.driverSignal();
  }

  get [CALL_ABORT](): CallAbortHook | undefined {
    return this.#source.abortHook;
  }
}

/** The `CALL_ABORT` hook of options the host built, so options made from them (a call waiting for a restart) keep it. */
export function abortHookOf(opts: CallOptions): CallAbortHook | undefined {
  return (opts as { [CALL_ABORT]?: CallAbortHook })[CALL_ABORT];
}
