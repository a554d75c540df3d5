/**
 * Caps the memories of an untrusted wasm module by rewriting the limits in its binary before
 * it is compiled: the memory section (id 5) for memories it defines, the import section (id 2)
 * for memories it imports. Only limits change; every other byte is copied as is.
 * Extism 1.0.3 cannot cap a module that defines its own memory; a declared maximum can.
 * Tables (id 4) are capped too: V8 allocates a table as one array on the worker's JS heap, and
 * one past the heap limit is a fatal OOM of the whole process, not just of the worker.
 */

export const WASM_PAGE_BYTES = 65_536;

export interface MemoryLimits {
  imported: boolean;
  /** In pages. */
  min: number;
  /** In pages; undefined when the module declares none. */
  max: number | undefined;
  shared: boolean;
  memory64: boolean;
}

export interface CappedModule {
  bytes: Uint8Array<ArrayBuffer>;
  /** Limits as the module declared them, before capping, in declaration order (imports first). */
  memories: MemoryLimits[];
}

export type WasmBinaryProblem = 'malformed' | 'unsupported' | 'memory-too-large' | 'table-too-large';

/**
 * Elements all tables of a module may hold together, at most, ever (initial and grown). Real
 * plugins hold a few thousand function pointers; a million is ~8 MiB of worker heap.
 */
export const MAX_TABLE_ELEMENTS = 1_000_000;

export class WasmBinaryError extends Error {
  readonly problem: WasmBinaryProblem;
  constructor(problem: WasmBinaryProblem, message: string) {
    super(message);
    this.name = 'WasmBinaryError';
    this.problem = problem;
  }
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const SECTION_IMPORT = 2;
const SECTION_TABLE = 4;
const SECTION_MEMORY = 5;

/** Returns a copy of `bytes` in which every memory's maximum is at most `maxPages`. */
export function capMemory(bytes: Uint8Array, maxPages: number): CappedModule {
  if (!Number.isInteger(maxPages) || maxPages < 0) throw new RangeError(`maxPages must be a non-negative integer, got ${maxPages}`);
  const r = new Reader(bytes);
  for (const b of MAGIC) if (r.byte() !== b) throw new WasmBinaryError('malformed', 'not a wasm module (bad magic number)');
  const version = r.u32le();
  if (version !== 1) throw new WasmBinaryError('unsupported', `unsupported wasm binary version ${version} (only core modules, version 1)`);

  const out = new Writer();
  out.bytes(bytes.subarray(0, 8));
  const memories: MemoryLimits[] = [];
  while (!r.done()) {
    const headerStart = r.pos;
    const id = r.byte();
    const size = r.leb(32);
    const start = r.pos;
    const end = start + size;
    if (end > bytes.length) throw new WasmBinaryError('malformed', `section ${id} runs past the end of the module`);
    if (id !== SECTION_IMPORT && id !== SECTION_MEMORY && id !== SECTION_TABLE) {
      out.bytes(bytes.subarray(headerStart, end));
      r.pos = end;
      continue;
    }
    const section = new Reader(bytes.subarray(start, end));
    const payload =
      id === SECTION_MEMORY ? rewriteMemories(section, maxPages, memories) : id === SECTION_TABLE ? rewriteTables(section) : rewriteImports(section, maxPages, memories);
    if (!section.done()) throw new WasmBinaryError('malformed', `section ${id} has ${section.remaining()} trailing bytes`);
    out.byte(id);
    out.leb(payload.length);
    out.bytes(payload);
    r.pos = end;
  }
  return { bytes: out.finish(), memories };
}

function rewriteMemories(r: Reader, maxPages: number, memories: MemoryLimits[]): Uint8Array {
  const w = new Writer();
  const count = r.leb(32);
  w.leb(count);
  for (let i = 0; i < count; i++) copyLimits(r, w, maxPages, memories, false);
  return w.finish();
}

/**
 * Refuses tables whose initial sizes add up past MAX_TABLE_ELEMENTS, and shares what is left
 * among them as growth room, so their maxima add up to the budget at most.
 */
function rewriteTables(r: Reader): Uint8Array {
  const count = r.leb(32);
  const tables: { refType: Uint8Array; flags: number; min: number; max: number | undefined }[] = [];
  for (let i = 0; i < count; i++) {
    if (r.peek() === 0x40) throw new WasmBinaryError('unsupported', 'tables with an initializer expression are not supported');
    const from = r.pos;
    skipRefType(r);
    const refType = r.slice(from, r.pos);
    const flags = r.byte();
    if (flags & ~0x05) throw new WasmBinaryError('unsupported', `unsupported table limits flags 0x${flags.toString(16)}`);
    const bits = flags & 0x04 ? 64 : 32;
    const min = r.leb(bits);
    tables.push({ refType, flags, min, max: flags & 0x01 ? r.leb(bits) : undefined });
  }
  const initial = tables.reduce((sum, t) => sum + t.min, 0);
  if (initial > MAX_TABLE_ELEMENTS) {
    throw new WasmBinaryError('table-too-large', `the module's tables need ${initial} elements, more than the cap of ${MAX_TABLE_ELEMENTS}`);
  }
  const room = count === 0 ? 0 : Math.floor((MAX_TABLE_ELEMENTS - initial) / count);
  const w = new Writer();
  w.leb(count);
  for (const t of tables) {
    w.bytes(t.refType);
    w.byte(t.flags | 0x01);
    w.leb(t.min);
    w.leb(Math.min(t.max ?? Infinity, t.min + room));
  }
  return w.finish();
}

function rewriteImports(r: Reader, maxPages: number, memories: MemoryLimits[]): Uint8Array {
  const w = new Writer();
  const count = r.leb(32);
  w.leb(count);
  for (let i = 0; i < count; i++) {
    const from = r.pos;
    r.name();
    r.name();
    const kind = r.byte();
    w.bytes(r.slice(from, r.pos));
    if (kind === 0x02) {
      copyLimits(r, w, maxPages, memories, true);
      continue;
    }
    const descFrom = r.pos;
    skipImportDesc(r, kind);
    w.bytes(r.slice(descFrom, r.pos));
  }
  return w.finish();
}

function skipImportDesc(r: Reader, kind: number): void {
  switch (kind) {
    case 0x00: // function: type index
      r.leb(32);
      return;
    case 0x01: // table: reftype, limits
      skipRefType(r);
      skipTableLimits(r);
      return;
    case 0x03: // global: valtype, mutability
      skipValType(r);
      r.byte();
      return;
    case 0x04: // tag: attribute, type index
      r.byte();
      r.leb(32);
      return;
    default:
      throw new WasmBinaryError('unsupported', `unknown import kind 0x${kind.toString(16)}`);
  }
}

function skipValType(r: Reader): void {
  const t = r.byte();
  if (t === 0x63 || t === 0x64) r.sleb(33); // (ref null? heaptype)
}

function skipRefType(r: Reader): void {
  skipValType(r);
}

function skipTableLimits(r: Reader): void {
  const flags = r.byte();
  const bits = flags & 0x04 ? 64 : 32;
  r.leb(bits);
  if (flags & 0x01) r.leb(bits);
}

function copyLimits(r: Reader, w: Writer, maxPages: number, memories: MemoryLimits[], imported: boolean): void {
  const flags = r.byte();
  if (flags & ~0x07) throw new WasmBinaryError('unsupported', `unsupported memory limits flags 0x${flags.toString(16)}`);
  const memory64 = (flags & 0x04) !== 0;
  const bits = memory64 ? 64 : 32;
  const min = r.leb(bits);
  const max = flags & 0x01 ? r.leb(bits) : undefined;
  memories.push({ imported, min, max, shared: (flags & 0x02) !== 0, memory64 });
  if (min > maxPages) {
    throw new WasmBinaryError(
      'memory-too-large',
      `the module needs at least ${min} pages (${pagesToMiB(min)} MiB) of memory, more than the cap of ${maxPages} pages (${pagesToMiB(maxPages)} MiB)`,
    );
  }
  w.byte(flags | 0x01);
  w.leb(min);
  w.leb(Math.min(max ?? maxPages, maxPages));
}

const pagesToMiB = (pages: number) => Math.round((pages * WASM_PAGE_BYTES) / 2 ** 20 * 100) / 100;

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  remaining(): number {
    return this.buf.length - this.pos;
  }

  peek(): number | undefined {
    return this.buf[this.pos];
  }

  byte(): number {
    const b = this.buf[this.pos];
    if (b === undefined) throw new WasmBinaryError('malformed', 'unexpected end of the module');
    this.pos++;
    return b;
  }

  u32le(): number {
    let v = 0;
    for (let i = 0; i < 4; i++) v += this.byte() * 2 ** (8 * i);
    return v;
  }

  /** Unsigned LEB128 of at most `bits` bits, as a number (exact up to 2^53). */
  leb(bits: 32 | 64): number {
    const maxBytes = Math.ceil(bits / 7);
    let value = 0;
    for (let i = 0; i < maxBytes; i++) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (value >= 2 ** bits) throw new WasmBinaryError('malformed', `integer too large for u${bits}`);
        return value;
      }
    }
    throw new WasmBinaryError('malformed', `integer longer than ${maxBytes} bytes`);
  }

  /** Signed LEB128; only skipped, so the value is not returned. */
  sleb(bits: number): void {
    const maxBytes = Math.ceil(bits / 7);
    for (let i = 0; i < maxBytes; i++) if ((this.byte() & 0x80) === 0) return;
    throw new WasmBinaryError('malformed', `integer longer than ${maxBytes} bytes`);
  }

  name(): void {
    const length = this.leb(32);
    if (this.pos + length > this.buf.length) throw new WasmBinaryError('malformed', 'a name runs past the end of its section');
    this.pos += length;
  }

  slice(from: number, to: number): Uint8Array {
    return this.buf.subarray(from, to);
  }
}

class Writer {
  private chunks: Uint8Array[] = [];
  private small: number[] = [];

  byte(b: number): void {
    this.small.push(b);
  }

  leb(value: number): void {
    do {
      let b = value % 128;
      value = Math.floor(value / 128);
      if (value > 0) b |= 0x80;
      this.small.push(b);
    } while (value > 0);
  }

  bytes(b: Uint8Array): void {
    this.flushSmall();
    this.chunks.push(b);
  }

  finish(): Uint8Array<ArrayBuffer> {
    this.flushSmall();
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  private flushSmall(): void {
    if (this.small.length === 0) return;
    this.chunks.push(Uint8Array.from(this.small));
    this.small = [];
  }
}
