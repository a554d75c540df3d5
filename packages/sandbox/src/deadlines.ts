/**
 * Many call deadlines on one Node timer, for the host and for drivers. A timer per call costs a
 * timer list made and dropped, and a re-arm of libuv's timer, on every call to an otherwise idle
 * plugin (more than a whole in-process call); here a call links into and out of a list.
 * Deadlines of the same duration expire in insertion order, so each duration keeps an
 * insertion-ordered list whose first entry is its earliest. The lists are linked through the
 * deadlines themselves: a Set that empties on every call (one call at a time) reallocates its
 * table on every delete. While nothing is pending the timer is unref'd: an idle host or driver
 * never keeps the process alive.
 */
export interface Deadline {
  readonly at: number;
  readonly fire: () => void;
}

/** A deadline as this module links it: `list` is undefined once it fired or was removed. */
interface Linked extends Deadline {
  list: DurationList | undefined;
  prev: Linked | undefined;
  next: Linked | undefined;
}

/** The pending deadlines of one duration, oldest (so earliest) first. */
interface DurationList {
  first: Linked | undefined;
  last: Linked | undefined;
}

/** `setTimeout` fires at once past this; the caller decides what a longer limit means. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export class Deadlines {
  readonly #byDuration = new Map<number, DurationList>();
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;
  #armedAt = Infinity;

  /** Calls `fire` once `ms` have passed, unless `remove`d first. */
  add(ms: number, fire: () => void): Deadline {
    let list = this.#byDuration.get(ms);
    if (!list) this.#byDuration.set(ms, (list = { first: undefined, last: undefined }));
    const deadline: Linked = { at: performance.now() + ms, fire, list, prev: list.last, next: undefined };
    if (list.last) list.last.next = deadline;
    else list.first = deadline;
    list.last = deadline;
    if (this.#pending++ === 0) this.#timer?.ref();
    if (deadline.at < this.#armedAt) this.#arm(deadline.at);
    return deadline;
  }

  /** Idempotent. */
  remove(deadline: Deadline): void {
    const d = deadline as Linked;
    const list = d.list;
    if (!list) return;
    if (d.prev) d.prev.next = d.next;
    else list.first = d.next;
    if (d.next) d.next.prev = d.prev;
    else list.last = d.prev;
    d.list = d.prev = d.next = undefined;
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
    const due: Linked[] = [];
    let next = Infinity;
    for (const list of this.#byDuration.values()) {
      for (let d = list.first; d; d = d.next) {
        if (d.at > now) {
          next = Math.min(next, d.at);
          break;
        }
        due.push(d);
      }
    }
    for (const d of due) this.remove(d);
    // Durations come and go with per-call limits; forget the ones with nothing pending.
    for (const [ms, list] of this.#byDuration) if (!list.first) this.#byDuration.delete(ms);
    if (next !== Infinity) this.#arm(next);
    for (const d of due) d.fire();
  }
}
