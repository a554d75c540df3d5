import type { CallOptions } from './types.js';

/**
 * A call's cancellation without its `AbortSignal`. The host builds fresh `CallOptions` for every
 * call, and an AbortController plus a listener on its signal cost more than the rest of the host's
 * bookkeeping for a call, for an abort that almost never happens. Options carrying this hook under
 * `CALL_ABORT` let a driver listen without one being made. Options without it (a driver called
 * directly, a test) go through `signal` as ever: `onCallAbort` and its siblings hide the difference.
 */
export interface CallAbortHook {
  /** Whether the call was cancelled (timed out or aborted): what `signal.aborted` says. */
  readonly aborted: boolean;
  /** Why: what `signal.reason` holds. */
  readonly reason: unknown;
  /** `listener` runs once, synchronously, when the call is cancelled (not if it already was), as an 'abort' listener would. */
  addAbortListener(listener: () => void): void;
  removeAbortListener(listener: () => void): void;
}

/** Where `CallOptions` may carry a `CallAbortHook`. `Symbol.for`: two copies of this package agree on it. */
export const CALL_ABORT: unique symbol = Symbol.for('@clawdesk/sandbox.callAbort') as never;

const hookOf = (opts: CallOptions): CallAbortHook | undefined => (opts as { [CALL_ABORT]?: CallAbortHook })[CALL_ABORT];

/** `opts.signal.aborted`, without making the signal when the options can tell. */
export function callAborted(opts: CallOptions): boolean {
  const hook = hookOf(opts);
  return hook ? hook.aborted : opts.signal.aborted;
}

/** `opts.signal.reason`, without making the signal when the options can tell. */
export function callAbortReason(opts: CallOptions): unknown {
  const hook = hookOf(opts);
  return hook ? hook.reason : opts.signal.reason;
}

/** `opts.signal.addEventListener('abort', listener)`, without making the signal when the options can tell. Undo with `offCallAbort`. */
export function onCallAbort(opts: CallOptions, listener: () => void): void {
  const hook = hookOf(opts);
  if (hook) hook.addAbortListener(listener);
  else opts.signal.addEventListener('abort', listener);
}

export function offCallAbort(opts: CallOptions, listener: () => void): void {
  const hook = hookOf(opts);
  if (hook) hook.removeAbortListener(listener);
  else opts.signal.removeEventListener('abort', listener);
}
