/**
 * Reads, caps, validates and compiles a plugin's wasm entry, and checks that its imports are
 * ones this driver provides. Compiled modules are cached by content hash and memory cap, so a
 * restart or a reload of unchanged bytes does not compile again, and a changed file (hot reload)
 * always compiles anew. A file whose stat (device, inode, size, mtime, ctime) is what it was when
 * it was last read is not read again — unless it changed so close to that read that a later
 * change could hide within the filesystem's timestamp granularity ("racy" files, as git calls them).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PluginManifest } from '@clawdesk/manifest';
import { LoadFailedError } from '@clawdesk/sandbox';
import { capMemory, WASM_PAGE_BYTES, WasmBinaryError } from './wasm-binary.js';

export interface PreparedModule {
  module: WebAssembly.Module;
  functionExports: ReadonlySet<string>;
  usesWasi: boolean;
  /** Effective maximum of the module's first memory, in bytes (the cap when it has none). */
  wasmMemoryBytes: number;
}

const EXTISM_ENV = [
  'alloc', 'free', 'load_u8', 'load_u64', 'store_u8', 'store_u64', 'input_offset', 'input_length', 'input_load_u8',
  'input_load_u64', 'output_set', 'error_set', 'config_get', 'var_get', 'var_set', 'http_request', 'http_status_code',
  'length', 'length_unsafe', 'log_warn', 'log_info', 'log_debug', 'log_error',
];
/** Import namespace → names provided (`null`: any name, as node:wasi implements all of preview1). */
const PROVIDED: Record<string, ReadonlySet<string> | null> = {
  'extism:host/env': new Set(EXTISM_ENV),
  'extism:host/user': new Set(['browser_download', 'log', 'config_get']),
  env: new Set(['abort']),
  wasi_snapshot_preview1: null,
};
const CACHE_SIZE = 32;
/** A file changed less than this before it was read is read again next time (coarse timestamps: FAT has 2 s). */
export const RACY_MS = 3_000;

/** The file system calls the cache makes (tests count them). */
/** A plugin module larger than this is refused before it is read: reading it would cost the host its size twice over. */
export const MAX_MODULE_BYTES = 256 * 1024 * 1024;

export interface ModuleFs {
  stat(file: string): Promise<{ dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }>;
  readFile(file: string): Promise<Uint8Array>;
}

const nodeFs: ModuleFs = { stat: (file) => stat(file, { bigint: true }), readFile };

interface FileSeen {
  /** Device, inode, size, mtime and ctime when last read. */
  stamp: string;
  hash: string;
  /** Whether the stamp alone may vouch for the content next time (not racy). */
  trusted: boolean;
}

export class ModuleCache {
  readonly #fs: ModuleFs;
  readonly #now: () => number;
  /** `${sha256}:${maxPages}` → compiled module. */
  readonly #compiled = new Map<string, Promise<PreparedModule>>();
  /** Absolute path → what its content was when last read. */
  readonly #files = new Map<string, FileSeen>();

  constructor(fs: ModuleFs = nodeFs, now: () => number = Date.now) {
    this.#fs = fs;
    this.#now = now;
  }

  async get(manifest: PluginManifest, maxPages: number): Promise<PreparedModule> {
    const file = path.resolve(manifest.dir, manifest.entry);
    const unreadable = (error: unknown) =>
      new LoadFailedError(`cannot read its wasm entry ${manifest.entry}: ${(error as Error).message}`, { plugin: manifest.name, driver: 'wasm', cause: error });
    let info;
    try {
      info = await this.#fs.stat(file);
    } catch (error) {
      throw unreadable(error);
    }
    if (info.size > BigInt(MAX_MODULE_BYTES)) {
      throw new LoadFailedError(`its wasm entry ${manifest.entry} is ${info.size} bytes, more than the ${MAX_MODULE_BYTES} a plugin module may have`, {
        plugin: manifest.name,
        driver: 'wasm',
        data: { bytes: Number(info.size), maxBytes: MAX_MODULE_BYTES },
      });
    }
    const stamp = `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    const seen = this.#files.get(file);
    if (seen?.trusted && seen.stamp === stamp) {
      const hit = this.#lookup(`${seen.hash}:${maxPages}`);
      if (hit) return hit;
    }
    // Taken before reading: a change during or after the read lands at or after it.
    const readAt = this.#now();
    let bytes: Uint8Array;
    try {
      bytes = await this.#fs.readFile(file);
    } catch (error) {
      throw unreadable(error);
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    const changedMs = Number((info.mtimeNs > info.ctimeNs ? info.mtimeNs : info.ctimeNs) / 1_000_000n);
    remember(this.#files, file, { stamp, hash, trusted: changedMs < readAt - RACY_MS });
    const key = `${hash}:${maxPages}`;
    const hit = this.#lookup(key);
    if (hit) return hit;
    const entry = prepare(bytes, manifest, maxPages);
    remember(this.#compiled, key, entry);
    entry.catch(() => this.#compiled.delete(key));
    return entry;
  }

  #lookup(key: string): Promise<PreparedModule> | undefined {
    const hit = this.#compiled.get(key);
    if (hit) remember(this.#compiled, key, hit); // most recently used last
    return hit;
  }
}

/** Sets `key` as the newest entry, dropping the oldest past CACHE_SIZE. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > CACHE_SIZE) map.delete(map.keys().next().value!);
}

async function prepare(bytes: Uint8Array, manifest: PluginManifest, maxPages: number): Promise<PreparedModule> {
  const fail = (detail: string, cause?: unknown, data?: Record<string, unknown>) =>
    new LoadFailedError(`${manifest.entry}: ${detail}`, { plugin: manifest.name, driver: 'wasm', cause, data });
  let capped;
  try {
    capped = capMemory(bytes, maxPages);
  } catch (error) {
    if (error instanceof WasmBinaryError) {
      const data = error.problem === 'memory-too-large' ? { reason: 'memory', memoryMb: manifest.permissions.memoryMb } : undefined;
      throw fail(`${error.message}${error.problem === 'memory-too-large' ? ' (raise permissions.memoryMb)' : ''}`, error, data);
    }
    throw error;
  }
  let module: WebAssembly.Module;
  try {
    // compile() validates as it goes; a separate validate() would decode the module twice.
    module = await WebAssembly.compile(capped.bytes);
  } catch (error) {
    throw fail(`not a valid wasm module: ${(error as Error).message}`, error);
  }
  const unknown = WebAssembly.Module.imports(module)
    .filter((i) => {
      const names = PROVIDED[i.module];
      return names === undefined || i.kind !== 'function' || (names !== null && !names.has(i.name));
    })
    .map((i) => `${i.module}.${i.name}`);
  if (unknown.length > 0) {
    throw fail(
      `imports ${unknown.join(', ')}, which the wasm driver does not provide (it provides Extism's extism:host/env, extism:host/user browser_download/log/config_get, wasi_snapshot_preview1 and env.abort)`,
      undefined,
      { imports: unknown },
    );
  }
  const first = capped.memories[0];
  return {
    module,
    functionExports: new Set(WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name)),
    usesWasi: WebAssembly.Module.imports(module).some((i) => i.module === 'wasi_snapshot_preview1'),
    wasmMemoryBytes: Math.min(first?.max ?? maxPages, maxPages) * WASM_PAGE_BYTES,
  };
}
