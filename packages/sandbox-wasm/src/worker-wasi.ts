/**
 * WASI for a plugin worker: node:wasi with only the declared preopens, no environment, no
 * arguments, stdio on /dev/null — wrapped so read-only preopens stay read-only (node:wasi gives
 * every preopen full rights) and clock-only `poll_oneoff` (sleep) waits in Atomics.wait, which
 * `worker.terminate()` can interrupt.
 */
import type { WASI } from 'node:wasi';

/** node:wasi's class, passed in: the worker imports it only after silencing its ExperimentalWarning. */
export type WasiClass = typeof WASI;

type WasiFn = (...args: any[]) => unknown;

const ERRNO_SUCCESS = 0;
const ERRNO_MFILE = 33;
const ERRNO_NOTCAPABLE = 76;

const OFLAGS_CREAT = 1;
const OFLAGS_EXCL = 4;
const OFLAGS_TRUNC = 8;
const FDFLAGS_APPEND = 1;

/** Calls that change a directory's contents → which of their arguments are directory fds (preview1 signatures). */
const MUTATING_PATH_CALLS: Record<string, number[]> = {
  path_create_directory: [0],
  path_remove_directory: [0],
  path_unlink_file: [0],
  path_filestat_set_times: [0],
  path_link: [0, 4],
  path_rename: [0, 3],
};

/** Rights that modify files or directories (WASI preview1 `rights` bits). */
const WRITE_RIGHTS = [0, 3, 4, 6, 8, 9, 10, 11, 12, 16, 17, 19, 20, 22, 23, 24, 25, 26].reduce((m, bit) => m | (1n << BigInt(bit)), 0n);

export interface WasiOptions {
  preopens: Record<string, string>;
  readOnly: string[];
  nullFd: number;
  /** Files and dirs the plugin may hold open at once (preopens not counted); more opens fail with EMFILE. */
  maxOpenFiles: number;
}

export interface PluginWasi {
  /** Import object entries for `wasi_snapshot_preview1`, in Extism's `(callContext, ...args)` shape. */
  functions: Record<string, WasiFn>;
  /** Binds WASI to the instance's memory (and runs a reactor's `_initialize`). */
  initialize(instance: WebAssembly.Instance): void;
  /** Host fds the plugin holds open now (preopens not counted). */
  readonly openFiles: number;
  /** Closes every fd the plugin opened, before the worker goes away. */
  closeAll(): void;
}

export class ProcExit extends Error {
  constructor(readonly exitCode: number) {
    super(`the plugin called proc_exit(${exitCode})`);
  }
}

export function createWasi(WASIClass: WasiClass, options: WasiOptions): PluginWasi {
  const wasi = new WASIClass({
    version: 'preview1',
    args: [],
    env: {},
    preopens: options.preopens,
    stdin: options.nullFd,
    stdout: options.nullFd,
    stderr: options.nullFd,
    returnOnExit: true,
  });
  const raw = wasi.wasiImport as Record<string, WasiFn>;
  // uvwasi numbers preopens from fd 3 in insertion order.
  const guests = Object.keys(options.preopens);
  const readOnlyFds = new Set(guests.flatMap((g, i) => (options.readOnly.includes(g) ? [i + 3] : [])));
  // stdio share the driver's one /dev/null fd, which uvwasi would close on the host.
  const fixedFds = new Set([0, 1, 2, ...guests.map((_, i) => i + 3)]);
  /** Fds the plugin opened and has not closed: each holds a host fd. */
  const opened = new Set<number>();
  let memory: WebAssembly.Memory | undefined;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));

  const overrides: Record<string, WasiFn> = {
    path_open(fd: number, dirflags: number, path: number, pathLen: number, oflags: number, base: bigint, inheriting: bigint, fdflags: number, openedPtr: number) {
      if (readOnlyFds.has(fd)) {
        if (oflags & (OFLAGS_CREAT | OFLAGS_EXCL | OFLAGS_TRUNC) || fdflags & FDFLAGS_APPEND) return ERRNO_NOTCAPABLE;
        // Files and dirs opened here get no write rights, and uvwasi refuses write rights to their children.
        base &= ~WRITE_RIGHTS;
        inheriting &= ~WRITE_RIGHTS;
      }
      // Every open holds a host fd until closed: unbounded, a plugin exhausts the host's.
      if (opened.size >= options.maxOpenFiles) return ERRNO_MFILE;
      const errno = raw.path_open!(fd, dirflags, path, pathLen, oflags, base, inheriting, fdflags, openedPtr);
      if (errno === ERRNO_SUCCESS && memory) opened.add(new DataView(memory.buffer).getUint32(openedPtr, true));
      return errno;
    },
    fd_close(fd: number) {
      // A preopen stays: closing it would free its number for a fd that is not read-only.
      if (fixedFds.has(fd)) return ERRNO_NOTCAPABLE;
      const errno = raw.fd_close!(fd);
      if (errno === ERRNO_SUCCESS) opened.delete(fd);
      return errno;
    },
    fd_renumber(from: number, to: number) {
      // Read-only is tracked by fd number: moving a preopen (or over one) would shed or swap it.
      if (fixedFds.has(from) || fixedFds.has(to)) return ERRNO_NOTCAPABLE;
      const errno = raw.fd_renumber!(from, to);
      if (errno === ERRNO_SUCCESS) {
        opened.delete(from);
        opened.add(to);
      }
      return errno;
    },
    // A link made inside a writable preopen would be followed by later opens wherever it points.
    path_symlink() {
      return ERRNO_NOTCAPABLE;
    },
    poll_oneoff(inPtr: number, outPtr: number, count: number, eventsPtr: number) {
      const slept = memory !== undefined && sleepOnClocks(new DataView(memory.buffer), inPtr, outPtr, count, eventsPtr, sleeper);
      return slept ? ERRNO_SUCCESS : raw.poll_oneoff!(inPtr, outPtr, count, eventsPtr);
    },
    proc_exit(code: number) {
      throw new ProcExit(code);
    },
  };

  const functions: Record<string, WasiFn> = {};
  for (const [name, original] of Object.entries(raw)) {
    const run = overrides[name] ?? original;
    const dirArgs = MUTATING_PATH_CALLS[name];
    functions[name] =
      dirArgs === undefined
        ? (_ctx: unknown, ...args: unknown[]) => run(...args)
        : (_ctx: unknown, ...args: unknown[]) => (dirArgs.some((i) => readOnlyFds.has(args[i] as number)) ? ERRNO_NOTCAPABLE : run(...args));
  }

  return {
    functions,
    get openFiles() {
      return opened.size;
    },
    closeAll() {
      for (const fd of opened) raw.fd_close!(fd);
      opened.clear();
    },
    initialize(instance) {
      memory = instance.exports.memory as WebAssembly.Memory | undefined;
      if (!(memory instanceof WebAssembly.Memory)) throw new Error('a WASI module must export its memory');
      const init = instance.exports._initialize as (() => void) | undefined;
      // A stand-in instance: binds memory without running a command's _start.
      wasi.initialize({ exports: { memory, ...(typeof init === 'function' ? { _initialize: init } : {}) } } as unknown as WebAssembly.Instance);
    },
  };
}

const SUBSCRIPTION_BYTES = 48;
const EVENT_BYTES = 32;

/**
 * When every subscription is a clock, sleeps until the earliest deadline and reports it.
 * Returns false (let uvwasi handle it) when any subscription waits on a file descriptor.
 */
function sleepOnClocks(view: DataView, inPtr: number, outPtr: number, count: number, eventsPtr: number, sleeper: Int32Array): boolean {
  if (count === 0) return false;
  let earliest = -1;
  let waitNs = Infinity;
  for (let i = 0; i < count; i++) {
    const sub = inPtr + i * SUBSCRIPTION_BYTES;
    if (view.getUint8(sub + 8) !== 0) return false;
    const clock = view.getUint32(sub + 16, true);
    const timeout = Number(view.getBigUint64(sub + 24, true));
    const absolute = (view.getUint16(sub + 40, true) & 1) === 1;
    const ns = absolute ? timeout - nowNs(clock) : timeout;
    if (ns < waitNs) {
      waitNs = ns;
      earliest = i;
    }
  }
  if (waitNs > 0) Atomics.wait(sleeper, 0, 0, waitNs / 1e6);
  const sub = inPtr + earliest * SUBSCRIPTION_BYTES;
  for (let b = 0; b < EVENT_BYTES; b++) view.setUint8(outPtr + b, 0);
  view.setBigUint64(outPtr, view.getBigUint64(sub, true), true); // userdata
  view.setUint8(outPtr + 10, 0); // type: clock
  view.setUint32(eventsPtr, 1, true);
  return true;
}

/** Realtime for clock 0; uvwasi's monotonic (and CPU-time) clocks count from uv_hrtime, as process.hrtime does. */
function nowNs(clock: number): number {
  return clock === 0 ? Date.now() * 1e6 : Number(process.hrtime.bigint());
}
