import { CALL_ABORT, type CallAbortHook, callAborted, callAbortReason, offCallAbort, onCallAbort } from '../src/call-abort.js';
import type { CallOptions } from '../src/types.js';

/** A hook as the host's options carry it, recording what drivers ask of it. */
function hooked(): { opts: CallOptions; cancel(reason: unknown): void; signalRead: () => boolean } {
  const listeners = new Set<() => void>();
  let read = false;
  const hook: CallAbortHook & { aborted: boolean; reason: unknown } = {
    aborted: false,
    reason: undefined,
    addAbortListener: (l) => void listeners.add(l),
    removeAbortListener: (l) => void listeners.delete(l),
  };
  const opts = {
    timeoutMs: 1000,
    get signal(): AbortSignal {
      read = true;
      return new AbortController().signal;
    },
    [CALL_ABORT]: hook,
  };
  return {
    opts,
    cancel: (reason) => {
      hook.aborted = true;
      hook.reason = reason;
      for (const l of [...listeners]) l();
    },
    signalRead: () => read,
  };
}

describe('call abort helpers (a call\'s cancellation, with or without its AbortSignal)', () => {
  test('plain options go through their signal: listeners run on abort, a removed one does not', () => {
    const controller = new AbortController();
    const opts: CallOptions = { signal: controller.signal, timeoutMs: 1000 };
    const heard: string[] = [];
    const kept = () => heard.push('kept');
    const removed = () => heard.push('removed');
    onCallAbort(opts, kept);
    onCallAbort(opts, removed);
    offCallAbort(opts, removed);
    expect(callAborted(opts)).toBe(false);
    controller.abort('why');
    expect(heard).toEqual(['kept']);
    expect(callAborted(opts)).toBe(true);
    expect(callAbortReason(opts)).toBe('why');
  });

  test('options with a CALL_ABORT hook are answered by the hook, and their signal is never made', () => {
    const { opts, cancel, signalRead } = hooked();
    const heard: string[] = [];
    const kept = () => heard.push('kept');
    const removed = () => heard.push('removed');
    onCallAbort(opts, kept);
    onCallAbort(opts, removed);
    offCallAbort(opts, removed);
    expect(callAborted(opts)).toBe(false);
    cancel('timed out');
    expect(heard).toEqual(['kept']);
    expect(callAborted(opts)).toBe(true);
    expect(callAbortReason(opts)).toBe('timed out');
    expect(signalRead()).toBe(false);
  });

  test('the hook is found under Symbol.for, so a second copy of this package agrees on it', () => {
    expect(CALL_ABORT).toBe(Symbol.for('@clawdesk/sandbox.callAbort'));
  });
});
