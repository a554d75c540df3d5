import { createHook } from 'node:async_hooks';

/**
 * Two views of what an instance leaves behind once disposed:
 * - counts of `process.getActiveResourcesInfo()` by type, before and after (handles, children, sockets);
 * - every handle or timer created while the instance lived (via async_hooks) that is neither
 *   destroyed nor unref'd. Counting alone cannot see a leaked timer: the test runner's own timers
 *   come and go in the same counts. Only resources with `hasRef()` (libuv handles and timers) can
 *   keep the process alive; requests and JS `AsyncResource`s (e.g. stream.finished's) are not counted.
 */
export type ResourceCounts = Map<string, number>;

/** Noise in the counts: terminals, short-lived requests, and timers (tracked precisely instead). */
const NOISY_ACTIVE_TYPES = ['TTYWrap', 'Immediate', 'FSReqCallback', 'FSReqPromise', 'FileHandleCloseReq', 'Timeout'];
/** async_hooks types that are not handles or that finish by themselves. */
const TRANSIENT_HOOK_TYPES = ['PROMISE', 'TickObject', 'Microtask', 'Immediate', 'TTYWRAP', 'FSREQCALLBACK', 'FSREQPROMISE', 'FILEHANDLECLOSEREQ'];

export function countResources(ignore: readonly string[]): ResourceCounts {
  const counts: ResourceCounts = new Map();
  for (const type of process.getActiveResourcesInfo()) {
    if (!NOISY_ACTIVE_TYPES.includes(type) && !ignore.includes(type)) counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return counts;
}

/** Types with more resources now than in `before`, as `{ type: extra }`. */
export function surplus(before: ResourceCounts, now: ResourceCounts): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const [type, count] of now) {
    const more = count - (before.get(type) ?? 0);
    if (more > 0) extra[type] = more;
  }
  return extra;
}

interface Tracked {
  type: string;
  resource: { hasRef?: () => boolean; _destroyed?: boolean };
}

export interface ResourceTracker {
  /** Stops recording new resources (the suite's own polling timers come after this). */
  stopRecording(): void;
  /** Recorded resources still alive and keeping the process alive, counted by type. */
  alive(): Record<string, number>;
  close(): void;
}

export function trackResources(ignore: readonly string[]): ResourceTracker {
  const tracked = new Map<number, Tracked>();
  let recording = true;
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (recording && !TRANSIENT_HOOK_TYPES.includes(type) && !ignore.includes(type)) tracked.set(id, { type, resource: resource as Tracked['resource'] });
    },
    destroy(id) {
      tracked.delete(id);
    },
  }).enable();
  return {
    stopRecording: () => void (recording = false),
    alive() {
      const counts: Record<string, number> = {};
      for (const { type, resource } of tracked.values()) {
        if (resource._destroyed === true || typeof resource.hasRef !== 'function' || !resource.hasRef()) continue;
        counts[type] = (counts[type] ?? 0) + 1;
      }
      return counts;
    },
    close: () => void hook.disable(),
  };
}

/** Polls until `probe()` returns an empty array or object, or `settleMs` passes; returns the last result. */
export async function settle<T extends object>(probe: () => T | Promise<T>, settleMs: number): Promise<T> {
  const deadline = performance.now() + settleMs;
  for (;;) {
    const result = await probe();
    const empty = Array.isArray(result) ? result.length === 0 : Object.keys(result).length === 0;
    if (empty || performance.now() >= deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
