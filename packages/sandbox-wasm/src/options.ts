/** Options of `createWasmDriver`, their defaults, and their validation (once, up front). */

export interface WasmDriverOptions {
  /** Largest output a tool or hook may return, in bytes; larger → OUTPUT_TOO_LARGE. Default 16 MiB. */
  maxOutputBytes?: number;
  /** Data area of each plugin's SharedArrayBuffer channel; larger payloads travel over a MessagePort. Default 64 KiB. */
  channelBytes?: number;
  /**
   * How long the main thread busy-waits for the answer of a call expected to be short, in µs, while
   * the machine has cores to spare (see hostWaitMicros). Default 50; 0 never spins.
   */
  hostSpinMicros?: number;
  /**
   * How long the main thread waits synchronously for the answer of a call expected to be short (the
   * plugin's last call took under 50 µs), spinning first, then blocked in Atomics.wait;
   * after that it waits in Atomics.waitAsync with the event loop free. Saves the event loop's
   * wake-up (3-100 µs) on fast calls, also when the worker was asleep. Default 250; at least
   * hostSpinMicros; 0 never waits synchronously.
   */
  hostWaitMicros?: number;
  /**
   * How long an idle worker busy-waits for the next call before sleeping in Atomics.wait, in µs.
   * Default `'adaptive'`: learned per plugin from the gaps between its calls (up to 50 µs), and
   * none while the machine shows contention (see the README). A number fixes it: 0 never spins.
   */
  workerSpinMicros?: number | 'adaptive';
  /** Time a worker has to start and instantiate its module when the host passes none. Default 15 000 ms. */
  startTimeoutMs?: number;
  /**
   * After a plugin starts, the driver boots one spare worker (no plugin in it yet) so the next
   * start — a hot reload, another plugin, the restart after a timeout — skips booting a thread.
   * The spare is stopped after this long unused, in ms. Default 30 000; 0 keeps no spare.
   */
  spareIdleMs?: number;
  /**
   * Files and dirs a plugin may hold open at once through WASI (its preopens not counted); more
   * opens fail inside the plugin with EMFILE. Every open holds one of the host's fds. Default 256.
   */
  maxOpenFiles?: number;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 2 ** 20;
export const DEFAULT_CHANNEL_BYTES = 64 * 2 ** 10;
export const DEFAULT_HOST_SPIN_MICROS = 50;
export const DEFAULT_HOST_WAIT_MICROS = 250;
export const DEFAULT_WORKER_SPIN_MICROS = 'adaptive';
export const DEFAULT_START_TIMEOUT_MS = 15_000;
export const DEFAULT_SPARE_IDLE_MS = 30_000;
export const DEFAULT_MAX_OPEN_FILES = 256;

/** setTimeout's largest delay (~24.8 days); a longer spareIdleMs is cut to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type ResolvedWasmDriverOptions = Required<Omit<WasmDriverOptions, 'workerSpinMicros'>> & {
  /** undefined: adaptive. */
  workerSpinMicros: number | undefined;
};

export function resolveOptions(options: WasmDriverOptions = {}): ResolvedWasmDriverOptions {
  const hostSpinMicros = check('hostSpinMicros', options.hostSpinMicros, DEFAULT_HOST_SPIN_MICROS, 0);
  const hostWaitMicros = check('hostWaitMicros', options.hostWaitMicros, DEFAULT_HOST_WAIT_MICROS, 0);
  return {
    maxOutputBytes: check('maxOutputBytes', options.maxOutputBytes, DEFAULT_MAX_OUTPUT_BYTES, 1),
    // Multiple of 4 keeps the data area aligned; 1 KiB keeps error details readable.
    channelBytes: Math.ceil(check('channelBytes', options.channelBytes, DEFAULT_CHANNEL_BYTES, 1024) / 4) * 4,
    hostSpinMicros,
    // A spin longer than the synchronous wait would outlast it; 0 still turns the wait off.
    hostWaitMicros: hostWaitMicros === 0 ? 0 : Math.max(hostWaitMicros, hostSpinMicros),
    workerSpinMicros: options.workerSpinMicros === 'adaptive' ? undefined : checkOptional('workerSpinMicros', options.workerSpinMicros, 0),
    startTimeoutMs: check('startTimeoutMs', options.startTimeoutMs, DEFAULT_START_TIMEOUT_MS, 1),
    maxOpenFiles: Math.floor(check('maxOpenFiles', options.maxOpenFiles, DEFAULT_MAX_OPEN_FILES, 1)),
    spareIdleMs: Math.min(check('spareIdleMs', options.spareIdleMs, DEFAULT_SPARE_IDLE_MS, 0), MAX_TIMER_MS),
  };
}

function checkOptional(name: string, value: number | undefined, min: number): number | undefined {
  return value === undefined ? undefined : check(name, value, 0, min);
}

function check(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    const got = typeof value === 'number' ? String(value) : `${JSON.stringify(value)} (${typeof value})`;
    throw new TypeError(`createWasmDriver: option "${name}" must be a finite number >= ${min}, got ${got}`);
  }
  return value;
}
