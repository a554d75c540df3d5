/** Tiny hand-written wasm modules for tests: bytes, not WAT (no wabt here). */

export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

export const name = (s: string) => [...leb(Buffer.byteLength(s)), ...Buffer.from(s)];

export function section(id: number, payload: number[]): number[] {
  return [id, ...leb(payload.length), ...payload];
}

export function wasmModule(...sections: number[][]): Uint8Array<ArrayBuffer> {
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);
}

export interface Limits {
  min: number;
  max?: number;
  shared?: boolean;
  memory64?: boolean;
}

export function limits({ min, max, shared, memory64 }: Limits): number[] {
  const flags = (max === undefined ? 0 : 1) | (shared ? 2 : 0) | (memory64 ? 4 : 0);
  return [flags, ...leb(min), ...(max === undefined ? [] : leb(max))];
}

export const memorySection = (...memories: Limits[]) => section(5, [...leb(memories.length), ...memories.flatMap(limits)]);
export const exportMemory = () => section(7, [1, ...name('memory'), 0x02, 0]);
export const customSection = (label: string, body: number[]) => section(0, [...name(label), ...body]);

/** An import section: memories and, optionally, one function import of type 0. */
export function importSection(entries: ({ kind: 'memory'; module: string; field: string; limits: Limits } | { kind: 'func'; module: string; field: string } | { kind: 'global'; module: string; field: string } | { kind: 'table'; module: string; field: string })[]): number[] {
  return section(2, [
    ...leb(entries.length),
    ...entries.flatMap((e) => {
      const head = [...name(e.module), ...name(e.field)];
      switch (e.kind) {
        case 'memory':
          return [...head, 0x02, ...limits(e.limits)];
        case 'func':
          return [...head, 0x00, 0];
        case 'global':
          return [...head, 0x03, 0x7f, 0x00]; // i32, immutable
        case 'table':
          return [...head, 0x01, 0x70, 0x00, 1]; // funcref, min 1
      }
    }),
  ]);
}

/** Type section with one `() -> ()` signature. */
export const voidType = () => section(1, [1, 0x60, 0, 0]);
