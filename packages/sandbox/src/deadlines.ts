/**
 * Many call deadlines on one Node timer, for the host and for drivers. A timer per call costs a
 * timer list made and dropped, and a re-arm of libuv's timer, on every call to an otherwise idle
 * plugin (more than a whole in-process call); here a call adds to and removes from a set.
 * Deadlines of the same duration expire in insertion order, so each duration keeps an
 * insertion-ordered set whose first entry is its earliest. While nothing is pending the timer is
 * unref'd: an idle host or driver never keeps the process alive.
 */
export interface Deadline {
  readonly at: number;
  readonly fire: () => void;
  set: Set<Deadline> | undefined;
}

/** `setTimeout` fires at once past this; the caller decides what a longer limit means. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export class Deadlines {
  readonly #byDuration = new Map<number, Set<Deadline>>();
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;
  #armedAt = Infinity;

  /** Calls `fire` once `ms` have passed, unless `remove`d first. */
  add(ms: number, fire: () => void): Deadline {
    let set = this.#byDuration.get(ms);
    if (!set) this.#byDuration.set(ms, (set = new Set()));
    const deadline: Deadline = { at: performance.now() + ms, fire, set };
    set.add(deadline);
    if (this.#pending++ === 0) this.#timer?.ref();
    if (deadline.at < this.#armedAt) this.#arm(deadline.at);
    return deadline;
  }

  /** Idempotent. */
  remove(deadline: Deadline): void {
    if (!deadline.set) return;
    deadline.set.delete(deadline);
    deadline.set = undefined;
    if (--this.#pending === 0) this.#timer?.unref();
  }

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#armedAt = at;
    // Timers fire on whole milliseconds; never early. Node clamps delays past 2^31-1 ms to 1 ms,
    // so a far deadline wakes up at most every ~24.8 days and re-arms.
    this.#timer = setTimeout(() => this.#expire(), Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(at - performance.now()))));
    if (this.#pending === 0) this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const now = performance.now();
    const due: Deadline[] = [];
    let next = Infinity;
    for (const set of this.#byDuration.values()) {
      for (const d of set) {
        if (d.at > now) {
          next = Math.min(next, d.at);
          break;
        }
        due.push(d);
      }
    }
    for (const d of due) this.remove(d);
    // Durations come and go with per-call limits; forget the ones with nothing pending.
    for (const [ms, set] of this.#byDuration) if (set.size === 0) this.#byDuration.delete(ms);
    if (next !== Infinity) this.#arm(next);
    for (const d of due) d.fire();
  }
}
