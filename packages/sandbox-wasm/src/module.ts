/**
 * Reads, caps, validates and compiles a plugin's wasm entry, and checks that its imports are
 * ones this driver provides. Compiled modules are cached by content hash and memory cap, so a
 * restart after a crash does not compile again, and a changed file (hot reload) always compiles anew.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
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

export class ModuleCache {
  readonly #entries = new Map<string, Promise<PreparedModule>>();

  async get(manifest: PluginManifest, maxPages: number): Promise<PreparedModule> {
    const file = path.resolve(manifest.dir, manifest.entry);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new LoadFailedError(`cannot read its wasm entry ${manifest.entry}: ${(error as Error).message}`, {
        plugin: manifest.name,
        driver: 'wasm',
        cause: error,
      });
    }
    const key = `${createHash('sha256').update(bytes).digest('hex')}:${maxPages}`;
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = prepare(bytes, manifest, maxPages);
      this.#entries.set(key, entry);
      entry.catch(() => this.#entries.delete(key));
      if (this.#entries.size > CACHE_SIZE) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return entry;
  }
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
    if (!WebAssembly.validate(capped.bytes)) throw new Error('WebAssembly.validate rejected it');
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
