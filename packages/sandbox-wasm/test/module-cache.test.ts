import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PluginManifest } from '@clawdesk/manifest';
import { createTestContext, type TestContext } from '@clawdesk/sandbox/conformance';
import { ModuleCache, type ModuleFs, RACY_MS } from '../src/module.js';
import { createWasmDriver } from '../src/index.js';
import { instanceTracker, loadExample, rejectionOf } from './helpers.js';
import { exportMemory, memorySection, name, section, voidType, wasmModule } from './wasm-bytes.js';

/** A module exporting one empty function called `fn` (same size for same-length names). */
const exporting = (fn: string) =>
  wasmModule(voidType(), section(3, [1, 0]), memorySection({ min: 1 }), section(7, [2, ...name(fn), 0x00, 0, ...name('memory'), 0x02, 0]), section(10, [1, 2, 0, 0x0b]));

const T0 = Date.UTC(2026, 0, 1);
const ms = (t: number) => BigInt(t) * 1_000_000n;

/** An in-memory file system whose stat and reads the test controls and counts. */
function fakeFs() {
  const files = new Map<string, { bytes: Uint8Array; ino: bigint; mtimeMs: number; ctimeMs: number }>();
  const reads: string[] = [];
  const fs: ModuleFs = {
    async stat(file) {
      const f = files.get(file);
      if (!f) throw Object.assign(new Error(`ENOENT: no such file or directory, stat '${file}'`), { code: 'ENOENT' });
      return { dev: 1n, ino: f.ino, size: BigInt(f.bytes.length), mtimeNs: ms(f.mtimeMs), ctimeNs: ms(f.ctimeMs) };
    },
    async readFile(file) {
      reads.push(file);
      const f = files.get(file);
      if (!f) throw new Error('ENOENT');
      return f.bytes;
    },
  };
  return { fs, files, reads };
}

let base: PluginManifest;
beforeAll(async () => {
  base = await loadExample('wasm-conformance');
});
const virtual = (): PluginManifest => ({ ...base, dir: '/virtual', entry: './plugin.wasm' });
const FILE = '/virtual/plugin.wasm';

describe('ModuleCache', () => {
  test('an entry unchanged since a read made well after its last change is neither read nor compiled again', async () => {
    const { fs, files, reads } = fakeFs();
    files.set(FILE, { bytes: exporting('aa'), ino: 1n, mtimeMs: T0, ctimeMs: T0 });
    const cache = new ModuleCache(fs, () => T0 + 60_000);
    const first = await cache.get(virtual(), 16);
    const again = await cache.get(virtual(), 16);
    expect(again).toBe(first);
    expect(reads).toEqual([FILE]);
    expect([...first.functionExports]).toEqual(['aa']);
  });

  test('an entry changed just before it was read is read again next time (a same-size change could hide in one timestamp), but not compiled again', async () => {
    const { fs, files, reads } = fakeFs();
    files.set(FILE, { bytes: exporting('aa'), ino: 1n, mtimeMs: T0, ctimeMs: T0 });
    let now = T0 + 5;
    const cache = new ModuleCache(fs, () => now);
    const first = await cache.get(virtual(), 16);
    expect(await cache.get(virtual(), 16)).toBe(first);
    expect(reads).toHaveLength(2);
    now = T0 + RACY_MS + 1_000;
    expect(await cache.get(virtual(), 16)).toBe(first); // read once more, now long after the change
    expect(await cache.get(virtual(), 16)).toBe(first); // and from then on trusted
    expect(reads).toHaveLength(3);
  });

  test('a new stamp means a new read: changed bytes compile a new module, the old bytes back reuse the old module', async () => {
    const { fs, files, reads } = fakeFs();
    const now = () => T0 + 600_000;
    files.set(FILE, { bytes: exporting('aa'), ino: 1n, mtimeMs: T0, ctimeMs: T0 });
    const cache = new ModuleCache(fs, now);
    const a = await cache.get(virtual(), 16);
    // Same size and mtime (a tool that preserves timestamps); only ctime tells.
    files.set(FILE, { bytes: exporting('bb'), ino: 1n, mtimeMs: T0, ctimeMs: T0 + 1_000 });
    const b = await cache.get(virtual(), 16);
    expect([...b.functionExports]).toEqual(['bb']);
    // Replaced by another file (new inode) holding the first bytes again.
    files.set(FILE, { bytes: exporting('aa'), ino: 2n, mtimeMs: T0, ctimeMs: T0 + 1_000 });
    expect(await cache.get(virtual(), 16)).toBe(a);
    expect(reads).toHaveLength(3);
  });

  test('each memory cap has its own compiled module, and a module served from the cache keeps its cap', async () => {
    const { fs, files, reads } = fakeFs();
    files.set(FILE, { bytes: wasmModule(memorySection({ min: 1 }), exportMemory()), ino: 1n, mtimeMs: T0, ctimeMs: T0 });
    const cache = new ModuleCache(fs, () => T0 + 60_000);
    const memoryOf = (module: WebAssembly.Module) => new WebAssembly.Instance(module).exports.memory as WebAssembly.Memory;

    const small = await cache.get(virtual(), 2);
    const large = await cache.get(virtual(), 4);
    expect(large.module).not.toBe(small.module);
    expect(memoryOf(large.module).grow(3)).toBe(1);
    const cached = await cache.get(virtual(), 2);
    expect(cached).toBe(small);
    expect(cached.wasmMemoryBytes).toBe(2 * 65_536);
    const memory = memoryOf(cached.module);
    expect(memory.grow(1)).toBe(1);
    expect(() => memory.grow(1)).toThrow(RangeError);
    expect(reads).toEqual([FILE, FILE]); // one read per cap compiled; the cached one needed none
  });
});

describe('through the driver, on a real file system', () => {
  const instances = instanceTracker();
  const contexts: TestContext[] = [];
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'clawdesk-wasm-cache-'));
  });
  afterEach(async () => {
    await instances.disposeAll();
    for (const ctx of contexts.splice(0)) ctx.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const load = (m: PluginManifest, driver = createWasmDriver({ spareIdleMs: 0 })) => {
    const ctx = createTestContext(m);
    contexts.push(ctx);
    return driver.instantiate(m, ctx);
  };
  const manifest = (tool: string, memoryMb = 128): PluginManifest => ({
    ...base,
    dir,
    entry: './plugin.wasm',
    manifestFile: path.join(dir, 'plugin.json5'),
    tools: [{ name: tool, description: tool }],
    hooks: [],
    permissions: { ...base.permissions, fs: { read: [], write: [] }, memoryMb },
  });

  test('an entry rewritten with other bytes of the same size and mtime loads the new code', async () => {
    const driver = createWasmDriver({ spareIdleMs: 0 });
    const file = path.join(dir, 'plugin.wasm');
    writeFileSync(file, exporting('aa'));
    instances.track(await load(manifest('aa'), driver));
    const { atime, mtime } = statSync(file);
    writeFileSync(file, exporting('bb'));
    utimesSync(file, atime, mtime);
    const error = await rejectionOf(load(manifest('aa'), driver));
    expect(error.code).toBe('LOAD_FAILED');
    expect(error.data).toEqual({ missing: ['aa'] });
    instances.track(await load(manifest('bb'), driver));
  });

  test('a file loaded under a roomy memoryMb still fails under a tight one', async () => {
    const driver = createWasmDriver({ spareIdleMs: 0 });
    writeFileSync(path.join(dir, 'plugin.wasm'), wasmModule(memorySection({ min: 32 }), exportMemory()));
    const roomy = { ...manifest('x', 4), tools: [] };
    instances.track(await load(roomy, driver));
    const error = await rejectionOf(load({ ...roomy, permissions: { ...roomy.permissions, memoryMb: 1 } }, driver));
    expect(error.code).toBe('LOAD_FAILED');
    expect(error.data).toEqual({ reason: 'memory', memoryMb: 1 });
  });
});
