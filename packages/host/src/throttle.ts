/**
 * `minCallIntervalMs`: spaces the starts of calls to one plugin. Calls wait in arrival order and
 * are delayed, never rejected; each is released at least `intervalMs` after the previous one was
 * actually released (a late timer never shrinks the next gap).
 */
interface Waiter {
  intervalMs: number;
  resolve(): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class Throttle {
  #lastStart = -Infinity;
  readonly #queue: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** `undefined` when the call may start now (the common case costs no promise). */
  wait(intervalMs: number, signal?: AbortSignal): Promise<void> | undefined {
    if (intervalMs <= 0) return undefined;
    const now = performance.now();
    if (this.#queue.length === 0 && now >= this.#lastStart + intervalMs) {
      this.#lastStart = now;
      return undefined;
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        intervalMs,
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#remove(waiter);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#queue.push(waiter);
      if (this.#queue.length === 1) this.#pump();
    });
  }

  /** Rejects every waiting call with `reason` (the plugin stopped). */
  clear(reason: Error): void {
    for (const waiter of this.#queue.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(reason);
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #remove(waiter: Waiter): void {
    const i = this.#queue.indexOf(waiter);
    if (i < 0) return;
    this.#queue.splice(i, 1);
    if (i === 0) this.#pump();
  }

  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const head = this.#queue[0];
    if (!head) return;
    const now = performance.now();
    const due = this.#lastStart + head.intervalMs;
    if (now < due) {
      // Node timers can fire a fraction of a millisecond early by this clock: re-check on wake.
      this.#timer = setTimeout(() => this.#pump(), Math.max(1, Math.ceil(due - now)));
      return;
    }
    this.#queue.shift();
    head.signal?.removeEventListener('abort', head.onAbort);
    this.#lastStart = now;
    head.resolve();
    this.#pump();
  }
}
