import { type CallOptions, CancelledError, type Deadlines, type ProgressReport, TimeoutError } from '@clawdesk/sandbox';
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

/** Calls in flight, each as the function that fails it (used to give up on a drain). */
export interface CallTracker {
  readonly calls: Set<(err: Error) => void>;
  /** Runs after a call left `calls`. */
  settled(): void;
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
  const signal = caller?.signal;
  const progress = caller?.onProgress;
  return new Promise<T>((resolve, reject) => {
    const started = performance.now();
    // Created only when someone reads `opts.signal`: an in-process plugin that never looks costs no AbortController.
    let controller: AbortController | undefined;
    let failure: Error | undefined;
    let settled = false;
    const finish = (err: Error | undefined, value?: T) => {
      if (settled) return;
      settled = true;
      deadlines.remove(deadline);
      signal?.removeEventListener('abort', onAbort);
      if (tracker) {
        tracker.calls.delete(fail);
        tracker.settled();
      }
      if (err) {
        failure = wrapCallError(err, where);
        controller?.abort(failure);
        reject(failure);
      } else resolve(value as T);
    };
    const timedOut = () => finish(new TimeoutError(timeoutMs, { ...where, elapsedMs: Math.round(performance.now() - started) }));
    const onAbort = () => finish(new CancelledError({ ...where, reason: signal?.reason }));
    const fail = (err: Error) => finish(err);
    tracker?.calls.add(fail);
    const deadline = deadlines.add(timeoutMs, timedOut);
    signal?.addEventListener('abort', onAbort, { once: true });
    const opts = new LazySignalOptions(
      timeoutMs,
      () => {
        controller ??= new AbortController();
        if (failure && !controller.signal.aborted) controller.abort(failure);
        return controller.signal;
      },
      progress && ((p: ProgressReport) => void (settled || progress(p))),
    );
    let pending: Promise<T>;
    try {
      pending = run(opts, started);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => (performance.now() - started > timeoutMs ? timedOut() : finish(undefined, value)),
      (err: Error) => finish(err),
    );
  });
}

/** `CallOptions` whose signal is made on first read. A class, not a literal with a getter: this is built on every call. */
export class LazySignalOptions implements CallOptions {
  readonly #signal: () => AbortSignal;
  constructor(
    readonly timeoutMs: number,
    signal: () => AbortSignal,
    readonly onProgress?: ((progress: ProgressReport) => void) | undefined,
  ) {
    this.#signal = signal;
  }

  get signal(): AbortSignal {
    return this.#signal();
  }
}
