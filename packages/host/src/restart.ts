/** Crash → restart with exponential backoff; too many crashes in a window → `failed`. */
export interface RestartPolicy {
  /** Delay before the first restart. Default 100 ms. */
  initialDelayMs: number;
  /** Each further crash in the window multiplies the delay. Default 2. */
  factor: number;
  /** Upper bound of the delay. Default 5000 ms. */
  maxDelayMs: number;
  /** This many crashes within `windowMs` mark the plugin `failed` instead of restarting it. Default 5. */
  maxCrashes: number;
  /** Default 60000 ms. */
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = Object.freeze({
  initialDelayMs: 100,
  factor: 2,
  maxDelayMs: 5000,
  maxCrashes: 5,
  windowMs: 60_000,
});

/** Crash times of one plugin within the policy's window. */
export class CrashHistory {
  #times: number[] = [];

  /** Records a crash at `now`; returns how many crashes fall in the window, this one included. */
  record(now: number, windowMs: number): number {
    this.#times = this.#times.filter((t) => now - t < windowMs);
    this.#times.push(now);
    return this.#times.length;
  }

  reset(): void {
    this.#times = [];
  }
}

/** Delay before restarting after the `crashes`-th crash in the window (1-based). */
export function backoffDelay(policy: RestartPolicy, crashes: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, crashes - 1));
}
