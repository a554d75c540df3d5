/**
 * Re-lists a server's tools after `notifications/tools/list_changed`: one `tools/list` at a time,
 * and a burst of notifications during one costs a single further listing, not one per notification.
 */
export class ToolRelister {
  readonly #relist: () => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(relist: () => Promise<void>, onError: (error: unknown) => void) {
    this.#relist = relist;
    this.#onError = onError;
  }

  /** Resolves when a listing that started after this call has finished. */
  trigger(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.#relist();
        } catch (error) {
          this.#onError(error);
        }
      } while (this.#again);
      this.#running = undefined;
    })();
    return this.#running;
  }
}
