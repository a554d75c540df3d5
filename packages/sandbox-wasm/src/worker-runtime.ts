/**
 * One Extism plugin, in the foreground of its worker, with clawdesk's host functions and
 * limits. Runs inside the worker only. `call()` never throws: every outcome is classified here,
 * where the module's memory can still be inspected.
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import type { CallContext, ExtismPluginOptions, Plugin } from '@extism/extism';
import { hostAllowed } from '@clawdesk/sandbox/host-match';
import { type HttpReply, type HttpRequest, Slot, Status, type TrapReason, type WorkerEvent, type WorkerInit } from './protocol.js';
import { createWasi, ProcExit, type WasiClass } from './worker-wasi.js';

export type CallOutcome =
  | { status: typeof Status.Ok; output: Uint8Array }
  | { status: typeof Status.NoOutput }
  | { status: typeof Status.PluginError; message: string }
  | { status: typeof Status.Trap; message: string; reason: TrapReason }
  | { status: typeof Status.TooLarge; bytes: number };

export interface Runtime {
  call(exportName: string, input: Uint8Array): Promise<CallOutcome>;
}

type CreatePlugin = (manifest: WebAssembly.Module, opts: ExtismPluginOptions) => Promise<Plugin>;
type HostFn = (cc: CallContext, ...args: any[]) => unknown;

/** The name Extism gives the single unnamed module of a manifest. */
const MODULE = '0';

/** Longest log line passed on to the host, in characters; a longer one is cut. */
export const MAX_LOG_LINE_CHARS = 16 * 1024;
/**
 * Log text one call (or the start) may send to the host; later lines are dropped, and that is
 * said once. Lines cross to the main thread as messages: unbounded, a logging loop grew the host
 * by gigabytes within a call's timeout while the plugin itself stayed under its memory cap.
 */
export const MAX_LOG_BYTES_PER_CALL = 1024 * 1024;
/** What each line costs against that budget besides its text (the message around it). */
const LOG_LINE_OVERHEAD = 64;

class MemoryLimitError extends Error {}
class PluginAbort extends Error {}

export async function createRuntime(
  init: WorkerInit,
  ctl: Int32Array,
  emit: (event: WorkerEvent) => void,
  createPlugin: CreatePlugin,
  WASI: WasiClass,
): Promise<Runtime> {
  const mib = (bytes: number) => `${Math.round((bytes / 2 ** 20) * 10) / 10} MiB`;
  let callError: string | null = null;
  let hostBytes = 0;
  let httpStatus = 0;
  let memory: WebAssembly.Memory | undefined;
  const vars = new Map<string, Uint8Array>();
  let varBytes = 0;
  let logBytes = 0;
  const log = (level: string, message: string) => {
    if (logBytes > MAX_LOG_BYTES_PER_CALL) return;
    const line = message.length > MAX_LOG_LINE_CHARS ? `${message.slice(0, MAX_LOG_LINE_CHARS)}… (${message.length - MAX_LOG_LINE_CHARS} more characters cut)` : message;
    logBytes += line.length + LOG_LINE_OVERHEAD;
    if (logBytes <= MAX_LOG_BYTES_PER_CALL) emit({ type: 'log', level, message: line });
    else emit({ type: 'log', level: 'warn', message: `the plugin logged more than ${mib(MAX_LOG_BYTES_PER_CALL)} in one call; its further log lines in this call are dropped` });
  };

  /**
   * Extism blocks live outside wasm memory: count the live ones against the same cap. Totals are
   * gross until they pass the cap; then blocks the plugin freed are swept out before judging.
   */
  let blocks = new Map<bigint, number>();
  const overCap = () => hostBytes + varBytes > init.hostMemoryBytes;
  const enforceCap = (cc: CallContext) => {
    if (!overCap()) return;
    hostBytes = 0;
    for (const [addr, bytes] of blocks) {
      if (bytes > 0 && cc.length(addr) === 0n) blocks.delete(addr); // freed by the plugin
      else hostBytes += bytes;
    }
    if (overCap()) throw new MemoryLimitError(`the plugin holds more than ${mib(init.hostMemoryBytes)} of Extism host memory`);
  };
  const track = (cc: CallContext, addr: bigint, bytes: number): bigint => {
    blocks.set(addr, bytes);
    hostBytes += bytes;
    enforceCap(cc);
    return addr;
  };
  const text = (cc: CallContext, addr: bigint): string => cc.read(addr)?.text() ?? '';
  const store = (cc: CallContext, value: string | Uint8Array): bigint => {
    // Extism wraps a Uint8Array's whole underlying buffer: hand it an exactly-sized one.
    let bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = bytes.slice();
    return track(cc, bytes.length === 0 ? cc.alloc(0) : cc.store(bytes), bytes.length);
  };

  /** Blocks this thread until the main thread answers (it posts on `bulk`, then flips HOST_REPLY). */
  const hostCall = (name: 'browser_download' | 'http', payload: unknown): unknown => {
    Atomics.store(ctl, Slot.HostReply, 0);
    emit({ type: 'host', name, payload });
    while (Atomics.load(ctl, Slot.HostReply) === 0) Atomics.wait(ctl, Slot.HostReply, 0);
    const reply = receiveMessageOnPort(init.bulk);
    if (reply === undefined) throw new Error(`host function ${name} returned no answer`);
    return reply.message;
  };

  const env: Record<string, HostFn> = {
    alloc: (cc, n: bigint) => track(cc, cc.alloc(n), Number(n)),
    // Extism's own error slot is dropped when a call traps; keep the message ourselves.
    error_set: (cc, addr: bigint) => {
      callError = text(cc, addr) || 'the plugin reported an error';
    },
    // Extism's vars point into blocks that reset() frees; keep copies so they survive calls.
    var_get: (cc, keyAddr: bigint) => {
      const value = vars.get(text(cc, keyAddr));
      return value === undefined ? 0n : store(cc, value);
    },
    var_set: (cc, keyAddr: bigint, valueAddr: bigint) => {
      const key = text(cc, keyAddr);
      varBytes -= vars.get(key)?.length ?? 0;
      vars.delete(key);
      if (valueAddr === 0n) return;
      const value = cc.read(valueAddr)?.bytes().slice() ?? new Uint8Array();
      varBytes += value.length;
      vars.set(key, value);
      enforceCap(cc); // vars count against the cap too
    },
    http_request: (cc, requestAddr: bigint, bodyAddr: bigint) => {
      httpStatus = 0;
      let request: HttpRequest;
      try {
        const parsed = JSON.parse(text(cc, requestAddr)) as { url?: unknown; method?: unknown; headers?: unknown; header?: unknown };
        const url = new URL(String(parsed.url));
        if (!hostAllowed(url, init.allowedHosts)) {
          log('warn', `blocked HTTP request to ${url.host}: not in permissions.network.allowedHosts`);
          return 0n;
        }
        const method = typeof parsed.method === 'string' ? parsed.method.toUpperCase() : 'GET';
        const body = bodyAddr === 0n || method === 'GET' || method === 'HEAD' ? undefined : cc.read(bodyAddr)?.bytes().slice();
        request = { url: url.href, method, headers: stringRecord(parsed.headers ?? parsed.header), ...(body ? { body } : {}) };
      } catch (error) {
        log('warn', `invalid http_request from the plugin: ${(error as Error).message}`);
        return 0n;
      }
      const reply = hostCall('http', request) as HttpReply;
      httpStatus = reply.status;
      return reply.status === 0 ? 0n : store(cc, reply.body ?? new Uint8Array());
    },
    http_status_code: () => httpStatus,
  };

  const user: Record<string, HostFn> = {
    browser_download: (cc, addr: bigint) => store(cc, hostCall('browser_download', text(cc, addr)) as string),
    log: (cc, addr: bigint) => {
      const raw = text(cc, addr);
      let level = 'info';
      let message = raw;
      try {
        const parsed = JSON.parse(raw) as { level?: unknown; message?: unknown };
        if (typeof parsed.level === 'string') level = parsed.level;
        if (parsed.message !== undefined) message = typeof parsed.message === 'string' ? parsed.message : JSON.stringify(parsed.message);
      } catch {
        // not JSON: log the text as is
      }
      log(level, message);
    },
    config_get: (cc, addr: bigint) => {
      const key = text(cc, addr);
      return Object.hasOwn(init.config, key) ? store(cc, init.config[key]!) : 0n;
    },
  };

  // AssemblyScript's default abort import, for modules built without `--use abort=…`.
  const asEnv: Record<string, HostFn> = {
    abort: (_cc, messagePtr: number, filePtr: number, line: number, column: number) => {
      const message = readAsString(memory, messagePtr) ?? 'abort';
      const file = readAsString(memory, filePtr);
      callError = file === null ? message : `${message} (${file}:${line}:${column})`;
      throw new PluginAbort(callError);
    },
  };

  const wasi = init.wasi ? createWasi(WASI, init.wasi) : null;
  const logger = consoleFor(log);
  // The module itself, not a `{ wasm: [...] }` manifest: Extism tests a manifest object with
  // `instanceof Response`, and touching `Response` loads Node's fetch implementation (undici) —
  // 30-70 ms and several MB per worker. Its own `fetch` is never used; none reaches the global one.
  const plugin = await createPlugin(init.module, {
    useWasi: false,
    runInWorker: false,
    fetch: refuseFetch,
    logger,
    config: init.config,
    functions: {
      'extism:host/env': env,
      'extism:host/user': user,
      env: asEnv,
      ...(wasi ? { wasi_snapshot_preview1: wasi.functions } : {}),
    },
  });
  const instance = await plugin.getInstance();
  memory = instance.exports.memory instanceof WebAssembly.Memory ? instance.exports.memory : undefined;
  wasi?.initialize(instance);

  const classify = (error: unknown): { message: string; reason: TrapReason } => {
    if (error instanceof MemoryLimitError) return { reason: 'memory', message: error.message };
    if (error instanceof ProcExit) return { reason: 'crash', message: error.message };
    const raw = error instanceof Error ? error.message : String(error);
    const message = callError ?? raw;
    // AssemblyScript's allocator traps with `unreachable` when memory.grow fails at the cap.
    const atCap = raw === 'unreachable' && callError === null && memory !== undefined && memory.buffer.byteLength * 2 > init.wasmMemoryBytes;
    const memoryHit = atCap || (error instanceof RangeError && /memory|allocation/i.test(raw)) || /allocation too large|out of memory/i.test(message);
    return memoryHit
      ? { reason: 'memory', message: `memory limit of ${mib(init.wasmMemoryBytes)} reached (${message})` }
      : { reason: 'crash', message };
  };

  return {
    async call(exportName, input) {
      callError = null;
      logBytes = 0;
      hostBytes = 0;
      blocks = new Map();
      let output: DataView | null; // a PluginOutput: a DataView over the output block
      try {
        output = (await plugin.call([MODULE, exportName], input)) as DataView | null;
      } catch (error) {
        return { status: Status.Trap, ...classify(error) };
      } finally {
        // Frees this call's Extism blocks; without it every input and output stays referenced.
        await plugin.reset();
        // Files do not stay open between calls: a terminated worker would leak its host fds.
        wasi?.closeAll();
      }
      if (callError !== null) return { status: Status.PluginError, message: callError };
      if (output === null) return { status: Status.NoOutput };
      if (output.byteLength > init.maxOutputBytes) return { status: Status.TooLarge, bytes: output.byteLength };
      return { status: Status.Ok, output: new Uint8Array(output.buffer, output.byteOffset, output.byteLength) };
    },
  };
}

/** Extism's `fetch` option, for manifests given as URLs; the driver never gives one. */
const refuseFetch: typeof fetch = () => Promise.reject(new Error('a plugin worker does not fetch'));

/** An AssemblyScript string: UTF-16 code units, byte length in the u32 just before the pointer. */
function readAsString(memory: WebAssembly.Memory | undefined, ptr: number): string | null {
  if (memory === undefined || !ptr || ptr < 4) return null;
  const view = new DataView(memory.buffer);
  if (ptr > view.byteLength) return null;
  const bytes = view.getUint32(ptr - 4, true);
  if (ptr + bytes > view.byteLength) return null;
  return new TextDecoder('utf-16le').decode(new Uint8Array(memory.buffer, ptr, Math.min(bytes, 4096)));
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

/** Extism logs through a Console; forward each line to the host's logger. */
function consoleFor(log: (level: string, message: string) => void): Console {
  const at = (level: string) => (...args: unknown[]) => log(level, args.map(String).join(' '));
  return { debug: at('debug'), info: at('info'), log: at('info'), warn: at('warn'), error: at('error') } as unknown as Console;
}
