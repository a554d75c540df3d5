/**
 * One pre-started worker per driver, so starting a plugin (load, hot reload, the restart after a
 * timeout) does not wait for a thread to boot and load Extism. The spare runs no plugin until it
 * is claimed, and a claimed worker is never handed to anyone else: isolation is the same as a
 * worker started on demand. It is made after a start, never keeps the process alive (unref'd),
 * and is stopped after `idleMs` unused or by `close()`.
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { BootedWorker } from './plugin-worker.js';

interface Spare {
  booted: BootedWorker;
  /** Resource limits are fixed when a thread starts: a spare fits only starts asking for the same. */
  key: string;
  onExit(): void;
}

export class SpareWorkers {
  readonly #idleMs: number;
  readonly #boot: (limits: ResourceLimits) => BootedWorker;
  #spare: Spare | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Threads being terminated; close() waits for them. */
  readonly #stopping = new Set<Promise<unknown>>();

  /** `idleMs` 0 keeps no spare: every start boots its own thread. */
  constructor(idleMs: number, boot: (limits: ResourceLimits) => BootedWorker) {
    this.#idleMs = idleMs;
    this.#boot = boot;
  }

  /** A booted worker for one start: the spare when its limits match, else a new thread. */
  take(limits: ResourceLimits): BootedWorker {
    const spare = this.#spare;
    this.#spare = undefined;
    clearTimeout(this.#idleTimer);
    if (spare !== undefined) {
      spare.booted.worker.off('exit', spare.onExit);
      if (spare.key === keyOf(limits)) return spare.booted;
      this.#stop(spare.booted);
    }
    return this.#boot(limits);
  }

  /** Makes sure a spare with these limits is on its way (called after each start). */
  refill(limits: ResourceLimits): void {
    if (this.#closed || this.#idleMs === 0 || this.#spare !== undefined) return;
    const booted = this.#boot(limits);
    const spare: Spare = {
      booted,
      key: keyOf(limits),
      // A spare that dies on its own (it should not) is simply forgotten.
      onExit: () => {
        if (this.#spare === spare) this.#drop();
      },
    };
    booted.worker.once('exit', spare.onExit);
    this.#spare = spare;
    this.#idleTimer = setTimeout(() => this.#drop(), this.#idleMs);
    this.#idleTimer.unref();
  }

  /** Thread id of the spare, if one is up (diagnostics). */
  threadIds(): number[] {
    return this.#spare === undefined ? [] : [this.#spare.booted.worker.threadId];
  }

  /** Stops the spare and makes no more; resolves once its thread has exited. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#drop();
    await Promise.all(this.#stopping);
  }

  #drop(): void {
    const spare = this.#spare;
    this.#spare = undefined;
    clearTimeout(this.#idleTimer);
    if (spare === undefined) return;
    spare.booted.worker.off('exit', spare.onExit);
    this.#stop(spare.booted);
  }

  #stop(booted: BootedWorker): void {
    booted.events.close();
    booted.bulk.close();
    const stopping = booted.worker.terminate().catch(() => undefined);
    this.#stopping.add(stopping);
    void stopping.then(() => this.#stopping.delete(stopping));
  }
}

function keyOf(limits: ResourceLimits): string {
  return `${limits.maxOldGenerationSizeMb}/${limits.maxYoungGenerationSizeMb}/${limits.codeRangeSizeMb}/${limits.stackSizeMb}`;
}
