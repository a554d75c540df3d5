/**
 * The channel between the main thread and one plugin worker, shared by both sides.
 *
 * One SharedArrayBuffer per worker: a 64-byte header of Int32 slots, then a data area.
 * Calls are strictly one at a time. The main thread writes the input into the data area,
 * stores REQUEST and notifies; the worker (blocked in Atomics.wait) runs the export, writes
 * the output and a status, stores RESPONSE and notifies; the main thread, woken through
 * Atomics.waitAsync, reads it and stores IDLE. Payloads that do not fit the data area travel
 * over the `bulk` MessagePort instead (length slot = BULK) and are pulled synchronously with
 * receiveMessageOnPort. Host functions (browser_download, http) go worker → main as an event
 * message; the worker blocks on the HOST_REPLY slot until the main thread has posted the
 * answer on `bulk` and flipped the slot.
 *
 * A worker starts with the channel only (workerData) and then receives its plugin as one
 * message, so a worker can be started before anyone knows which plugin it will run.
 */

export const HEADER_BYTES = 64;

/** Int32 slot indexes in the header. */
export const Slot = {
  State: 0,
  Export: 1,
  InputLength: 2,
  Status: 3,
  OutputLength: 4,
  HostReply: 5,
  /** Events (logs) the worker posted during the current call; the main thread drains them before answering. */
  Events: 6,
  /** Main → worker: how long to spin for the next request after answering this one, µs (handoff.ts). */
  WorkerSpin: 7,
  /** Worker → main: the worker's own time for this call (request seen → answer stored), ns, capped. */
  WorkNanos: 8,
  /** Worker → main: how it waited for this request (`WorkerWait` in handoff.ts). */
  Wait: 9,
} as const;

export const State = {
  Idle: 0,
  Request: 1,
  Response: 2,
  /** Set by the main thread when it gives up on a worker, to release its own waiters. */
  Abandoned: 3,
} as const;

export const Status = {
  Ok: 0,
  NoOutput: 1,
  PluginError: 2,
  Trap: 3,
  TooLarge: 4,
} as const;

/** Length slot value meaning "the payload is on the bulk port". */
export const BULK = -1;

export type TrapReason = 'crash' | 'memory';

/** Worker → main events (on the `events` port). */
export type WorkerEvent =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'log'; level: string; message: string }
  | { type: 'host'; name: 'browser_download' | 'http'; payload: unknown };

/** Answer to an `http` host call. `status` 0 means no response (refused or failed). */
export interface HttpReply {
  status: number;
  body?: Uint8Array;
  error?: string;
}

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/**
 * The channel, passed as workerData when the thread starts. It names no plugin: a spare worker
 * boots with it alone and waits for its `WorkerSetup`.
 */
export interface WorkerChannel {
  sab: SharedArrayBuffer;
  bulk: import('node:worker_threads').MessagePort;
  events: import('node:worker_threads').MessagePort;
}

/** The plugin a worker is to run, posted once to the worker (structured clone shares the compiled module). */
export interface WorkerSetup {
  module: WebAssembly.Module;
  /** Export names, indexed by the Export slot. */
  exports: string[];
  /** Extism config and `config_get`: every value a string. */
  config: Record<string, string>;
  allowedHosts: string[];
  /** Present when the module imports WASI. */
  wasi: { preopens: Record<string, string>; readOnly: string[]; nullFd: number; maxOpenFiles: number } | null;
  /** Cap for Extism host-side allocations (input, output, vars) within one call, in bytes. */
  hostMemoryBytes: number;
  /** The module's effective memory maximum in bytes, after capping. */
  wasmMemoryBytes: number;
  maxOutputBytes: number;
}

/** Everything the worker side works with. */
export type WorkerInit = WorkerChannel & WorkerSetup;
