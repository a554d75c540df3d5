/**
 * A token bucket for a plugin's log lines (stderr, `host/log`, MCP `notifications/message`): a
 * plugin that logs megabytes a second must not flood the host's logger. Lines over the budget are
 * dropped and counted; the count is reported once lines flow again, or when the process ends.
 */
export class LogBudget {
  readonly #perSecond: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;
  #dropped = 0;

  constructor(perSecond: number, now: () => number = () => performance.now()) {
    this.#perSecond = perSecond;
    this.#now = now;
    this.#tokens = perSecond;
    this.#last = now();
  }

  /**
   * Whether one more line may be logged now. When it may and lines were dropped before it,
   * `report` gets their count first.
   */
  take(report: (dropped: number) => void): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#perSecond, this.#tokens + ((now - this.#last) / 1000) * this.#perSecond);
    this.#last = now;
    if (this.#tokens < 1) {
      this.#dropped += 1;
      return false;
    }
    this.#tokens -= 1;
    this.flush(report);
    return true;
  }

  /** Reports lines dropped and not yet reported. */
  flush(report: (dropped: number) => void): void {
    if (this.#dropped === 0) return;
    const dropped = this.#dropped;
    this.#dropped = 0;
    report(dropped);
  }
}
