/**
 * How long each side of a plugin channel busy-waits before it sleeps (main thread only).
 *
 * A sleeping worker costs a futex wake per call (15–30 µs on an idle VM, where the wake also
 * wakes a halted vCPU); a spinning one answers in the time of the call itself. Spinning only pays
 * while (1) the next call comes soon after the last answer and (2) the spinning thread has a core
 * to itself. So the worker's spin budget follows the gaps between calls (`workerSpin`), and every
 * call whose request came within the budget the worker had reports how its handoff went
 * (`answered`): a spin that ended asleep anyway, or one that caught the request yet handed over
 * slowly, is evidence of contention. A worker told to sleep, or a request after its budget ran out,
 * is evidence of nothing (bursts of calls would otherwise switch spinning off). Enough evidence
 * within a window and the driver's `Contention` parks every worker of the driver for a backoff
 * period (doubling while contention lasts), then probes again.
 */

import { Slot } from './protocol.js';

/** The adaptive worker's spin budget, and the smoothed gap between calls under which it spins, in µs. */
export const MAX_WORKER_SPIN_MICROS = 50;
/** A time jump this large inside a spin loop means the thread lost its core. */
const PREEMPTED_MICROS = 30;
/** Handoff time beyond the worker's own work above which a spinning call counts as slow. */
const SLOW_HANDOFF_MICROS = 25;
/** Calls per judgement, and slow ones among them that mean contention. */
const WINDOW = 32;
const SLOW_IN_WINDOW = 8;
/** A request this close to the end of the worker's budget may miss it without any contention. */
const JUDGE_MARGIN_MICROS = 10;
const MIN_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 500;

/** How a spin on the channel's state slot ended (`spinOnState`). */
export const SpinResult = {
  /** What it waited for came. */
  Done: 0,
  /** Its time ran out first. */
  Expired: 1,
  /** It lost its core (a time jump): the machine is busy, and the rest of the wait should sleep. */
  Preempted: 2,
} as const;
export type SpinResult = (typeof SpinResult)[keyof typeof SpinResult];

/**
 * Busy-waits until `done(state)` holds for the channel's state slot, or `until` (performance.now()
 * ms); stops at once when its clock jumps by more than PREEMPTED_MICROS. Both sides of a channel
 * spin with it: the main thread for an answer, the worker for the next request.
 */
export function spinOnState(ctl: Int32Array, until: number, done: (state: number) => boolean): SpinResult {
  let last = performance.now();
  while (!done(Atomics.load(ctl, Slot.State))) {
    const now = performance.now();
    if (now - last > PREEMPTED_MICROS / 1000) return SpinResult.Preempted;
    if (now >= until) return SpinResult.Expired;
    last = now;
  }
  return SpinResult.Done;
}

/** How the worker waited for a request, reported with each answer (Slot.Wait). */
export const WorkerWait = {
  /** It saw the request while spinning. */
  Spun: 0,
  /** It spun its whole budget without seeing the request, then slept. */
  Expired: 1,
  /** Its spin lost the core: it stopped spinning and slept. */
  Preempted: 2,
  /** It had no budget and slept at once. */
  Idle: 3,
} as const;

/** Per driver: whether spinning currently pays on this machine. */
export class Contention {
  readonly #spinnable: boolean;
  #parkedUntil = 0;
  #backoffMs = MIN_BACKOFF_MS;
  #calls = 0;
  #slow = 0;
  #probing = false;

  /** `cores`: os.availableParallelism(); with one core a spinning thread only ever steals. */
  constructor(cores: number) {
    this.#spinnable = cores > 1;
  }

  /** May threads spin now? */
  allows(now: number): boolean {
    if (!this.#spinnable) return false;
    if (now < this.#parkedUntil) return false;
    if (this.#parkedUntil !== 0) {
      // The backoff ran out: probe with a fresh window.
      this.#parkedUntil = 0;
      this.#probing = true;
      this.#calls = 0;
      this.#slow = 0;
    }
    return true;
  }

  /** One call made while spinning was allowed; `slow` says it showed contention. */
  record(slow: boolean, now: number): void {
    this.#calls++;
    if (slow) this.#slow++;
    if (this.#slow >= SLOW_IN_WINDOW) {
      this.#parkedUntil = now + this.#backoffMs;
      // Contention again right after a probe: wait longer next time.
      this.#backoffMs = this.#probing ? Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS) : MIN_BACKOFF_MS;
      this.#probing = true;
      this.#calls = 0;
      this.#slow = 0;
    } else if (this.#calls >= WINDOW) {
      // A clean window: spinning pays again, and the next contention starts a short backoff.
      if (this.#probing) this.#backoffMs = MIN_BACKOFF_MS;
      this.#probing = false;
      this.#calls = 0;
      this.#slow = 0;
    }
  }
}

/** Per worker: the learned spin budget, or a fixed one when the option sets it. */
export class Handoff {
  readonly #fixed: number | undefined;
  readonly #contention: Contention;
  /** Smoothed gap between an answer and the next request, µs; starts "long" (no spin). */
  #gapMicros = Number.POSITIVE_INFINITY;
  #answeredAt = Number.NEGATIVE_INFINITY;
  /** The budget sent with the previous request: it governed how the worker waited for this one. */
  #budget = 0;
  /** Whether this call's wait can be judged: the worker had a budget and the request came within it. */
  #judged = false;
  /** The main thread saw the last answer while spinning, so its clock started when the worker's did. */
  #caught = false;

  /** `fixedMicros` (the workerSpinMicros option) turns learning and backoff off. */
  constructor(contention: Contention, fixedMicros: number | undefined) {
    this.#contention = contention;
    this.#fixed = fixedMicros;
  }

  /** The worker's spin budget after the call about to be sent, µs. */
  workerSpin(now: number): number {
    if (this.#fixed !== undefined) return this.#fixed;
    const gapNow = (now - this.#answeredAt) * 1000;
    // A worker told to sleep, or a request that came after its budget, says nothing about contention;
    // nor does a gap the main thread timed from a late look at the answer (it was not spinning).
    this.#judged = this.#budget > 0 && gapNow + JUDGE_MARGIN_MICROS < this.#budget && this.#caught;
    // Capped at twice the budget: one pause (a burst ends, the caller does other work) keeps spinning on;
    // three in a row, or calls regularly further apart than the budget, switch it off.
    const gap = Math.min(gapNow, 2 * MAX_WORKER_SPIN_MICROS);
    this.#gapMicros = Number.isFinite(this.#gapMicros) ? this.#gapMicros + (gap - this.#gapMicros) / 4 : gap;
    const spinning = this.#contention.allows(now) && this.#gapMicros < MAX_WORKER_SPIN_MICROS;
    // The whole budget, not one fitted to the usual gap: a spin cut close to the gap misses the next
    // call at every small hiccup of either thread, and such misses must not pass for contention.
    this.#budget = spinning ? MAX_WORKER_SPIN_MICROS : 0;
    return this.#budget;
  }

  /**
   * One answer arrived. `totalMicros`: request to answer seen; `workMicros`: the worker's own time;
   * `wait`: how the worker waited for this request; `hostPreempted`: the main thread's spin lost its core;
   * `hostCaught`: the main thread was spinning when the answer came.
   */
  answered(now: number, totalMicros: number, workMicros: number, wait: number, hostPreempted: boolean, hostCaught: boolean): void {
    this.#answeredAt = now;
    this.#caught = hostCaught;
    if (this.#fixed !== undefined || !this.#judged) return;
    // The request came within the worker's budget: a spin that ended asleep anyway, or one that caught
    // the request yet handed over slowly, means a thread lost its core (contention).
    const slow = wait !== WorkerWait.Spun || hostPreempted || (hostCaught && totalMicros - workMicros > SLOW_HANDOFF_MICROS);
    this.#contention.record(slow, now);
  }
}
