import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { capMemory, WASM_PAGE_BYTES, WasmBinaryError } from '../src/index.js';
import { examplesDir } from './helpers.js';
import { customSection, exportMemory, importSection, leb, memorySection, section, voidType, wasmModule } from './wasm-bytes.js';

const memoryOf = (bytes: Uint8Array<ArrayBuffer>) => new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.memory as WebAssembly.Memory;

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WasmBinaryError);
    return `${(error as WasmBinaryError).problem}: ${(error as Error).message}`;
  }
  throw new Error('expected a WasmBinaryError');
}

describe('capMemory', () => {
  test('a memory without a maximum gets the cap, and growing past it fails', () => {
    const { bytes, memories } = capMemory(wasmModule(memorySection({ min: 1 }), exportMemory()), 4);
    expect(memories).toEqual([{ imported: false, min: 1, max: undefined, shared: false, memory64: false }]);
    const memory = memoryOf(bytes);
    expect(memory.grow(3)).toBe(1);
    expect(() => memory.grow(1)).toThrow(RangeError);
    expect(memory.buffer.byteLength).toBe(4 * WASM_PAGE_BYTES);
  });

  test('a larger declared maximum is lowered to the cap, a smaller one is kept', () => {
    expect(() => memoryOf(capMemory(wasmModule(memorySection({ min: 1, max: 1000 }), exportMemory()), 8).bytes).grow(8)).toThrow(RangeError);
    const small = memoryOf(capMemory(wasmModule(memorySection({ min: 1, max: 2 }), exportMemory()), 8).bytes);
    expect(() => small.grow(2)).toThrow(RangeError);
    expect(small.grow(1)).toBe(1);
  });

  test('an imported memory is capped in the import section', () => {
    const withType = wasmModule(voidType(), importSection([{ kind: 'global', module: 'env', field: 'g' }, { kind: 'table', module: 'env', field: 't' }, { kind: 'func', module: 'env', field: 'f' }, { kind: 'memory', module: 'env', field: 'memory', limits: { min: 1 } }]));
    const { bytes, memories } = capMemory(withType, 4);
    expect(memories).toEqual([{ imported: true, min: 1, max: undefined, shared: false, memory64: false }]);
    const module = new WebAssembly.Module(bytes);
    const imports = (memory: WebAssembly.Memory) => ({
      env: { f: () => {}, g: 1, t: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }), memory },
    });
    expect(() => new WebAssembly.Instance(module, imports(new WebAssembly.Memory({ initial: 1, maximum: 4 })))).not.toThrow();
    expect(() => new WebAssembly.Instance(module, imports(new WebAssembly.Memory({ initial: 1, maximum: 5 })))).toThrow(WebAssembly.LinkError);
  });

  test('a module without memory, and every section other than memory and imports, comes out byte for byte', () => {
    const bytes = wasmModule(voidType(), customSection('name', [1, 2, 3]), section(3, [1, 0]), section(10, [1, 2, 0, 0x0b]));
    expect(capMemory(bytes, 1)).toEqual({ bytes, memories: [] });
    // A section size written as a padded (overlong but valid) LEB128 is copied as written.
    const padded = Uint8Array.from([...wasmModule(), 0, 0x85, 0x80, 0x80, 0x80, 0x00, ...leb(4), ...Buffer.from('abcd')]);
    expect(WebAssembly.validate(padded)).toBe(true);
    expect(capMemory(padded, 1).bytes).toEqual(padded);
  });

  test('shared and 64-bit memories keep their flags', () => {
    const shared = capMemory(wasmModule(memorySection({ min: 1, max: 100, shared: true })), 10);
    expect(shared.memories[0]).toMatchObject({ shared: true, max: 100 });
    expect(WebAssembly.validate(shared.bytes)).toBe(true);
    expect(capMemory(shared.bytes, 10).memories[0]).toMatchObject({ shared: true, max: 10 });
    const wide = capMemory(wasmModule(memorySection({ min: 2, memory64: true })), 2 ** 40);
    expect(wide.memories[0]).toEqual({ imported: false, min: 2, max: undefined, shared: false, memory64: true });
    expect(capMemory(wide.bytes, 2 ** 40).memories[0]).toMatchObject({ max: 2 ** 40, memory64: true });
  });

  test('a module needing more initial memory than the cap is refused', () => {
    expect(problemOf(() => capMemory(wasmModule(memorySection({ min: 20 })), 16))).toBe(
      'memory-too-large: the module needs at least 20 pages (1.25 MiB) of memory, more than the cap of 16 pages (1 MiB)',
    );
  });

  test.each([
    ['not wasm', Uint8Array.from(Buffer.from('#!/bin/sh\necho hi')), 'malformed: not a wasm module (bad magic number)'],
    ['a component', Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]), 'unsupported: unsupported wasm binary version 65549 (only core modules, version 1)'],
    ['a truncated header', Uint8Array.from([0, 0x61, 0x73]), 'malformed: unexpected end of the module'],
    ['a section running past the end', Uint8Array.from([...wasmModule(), 5, 10, 1, 0]), 'malformed: section 5 runs past the end of the module'],
    ['an over-long integer', Uint8Array.from([...wasmModule(), 5, 7, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x80]), 'malformed: integer longer than 5 bytes'],
    ['trailing bytes in the memory section', Uint8Array.from([...wasmModule(), ...section(5, [1, 0, 1, 9])]), 'malformed: section 5 has 1 trailing bytes'],
    ['an unknown import kind', wasmModule(section(2, [1, 1, 0x61, 1, 0x62, 0x09])), 'unsupported: unknown import kind 0x9'],
    ['unknown limits flags', wasmModule(section(5, [1, 0x10, 1])), 'unsupported: unsupported memory limits flags 0x10'],
  ])('%s is refused with a WasmBinaryError saying why', (_label, bytes, expected) => {
    expect(problemOf(() => capMemory(bytes, 16))).toBe(expected);
  });

  test('random bytes either parse or fail with a WasmBinaryError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (tail, header) => {
        const bytes = header ? Uint8Array.from([...wasmModule(), ...tail]) : tail;
        try {
          capMemory(bytes, 16);
        } catch (error) {
          return error instanceof WasmBinaryError;
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  test('any memory limits within the cap come out valid and capped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.option(fc.integer({ min: 0, max: 65536 }), { nil: undefined }), fc.integer({ min: 0, max: 65536 }), (min, extra, cap) => {
        fc.pre(min <= cap);
        const max = extra === undefined ? undefined : min + extra;
        const { bytes } = capMemory(wasmModule(memorySection({ min, max }), exportMemory()), cap);
        expect(WebAssembly.validate(bytes)).toBe(true);
        expect(capMemory(bytes, 2 ** 16).memories[0]).toEqual({ imported: false, min, max: Math.min(max ?? cap, cap), shared: false, memory64: false });
      }),
      { numRuns: 300 },
    );
  });

  test('a real AssemblyScript plugin stays valid once capped', () => {
    const wasm = readFileSync(path.join(examplesDir, 'weather-wasm', 'dist', 'weather.wasm'));
    const { bytes, memories } = capMemory(wasm, 256);
    expect(memories).toEqual([expect.objectContaining({ imported: false, max: undefined })]);
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(capMemory(bytes, 1024).memories[0]?.max).toBe(256);
  });
});
