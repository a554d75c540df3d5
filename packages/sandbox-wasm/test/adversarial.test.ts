import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadManifest } from '@clawdesk/manifest';
import { resultValue } from '@clawdesk/sandbox';
import { createWasmDriver } from '../src/index.js';
import { callOpts, copyExample, entryFixtures, instanceTracker, loadExample, rejectionOf, waitFor } from './helpers.js';
import { MAX_LOG_BYTES_PER_CALL, MAX_LOG_LINE_CHARS } from '../src/worker-runtime.js';
import { MAX_TABLE_ELEMENTS } from '../src/wasm-binary.js';
import { MAX_MODULE_BYTES } from '../src/module.js';
import { leb, name, section, wasmModule } from './wasm-bytes.js';

const instances = instanceTracker();
const { context, withEntry, cleanup, dirs } = entryFixtures();
afterEach(async () => {
  await instances.disposeAll();
  cleanup();
});
const tool = (n: string) => ({ name: n, description: n });

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n = Math.floor(n / 128);
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}
/** imports env.alloc and user.<fn>; export "go": calls <fn>(alloc(bytes)) `times` times (0: forever). */
function hostCaller(fn: string, bytes: number, forever: boolean): Uint8Array<ArrayBuffer> {
  const types = section(1, [3, 0x60, 0, 0, 0x60, 1, 0x7e, 1, 0x7e, 0x60, 1, 0x7e, 0]);
  const imports = section(2, [2, ...name('extism:host/env'), ...name('alloc'), 0x00, 1, ...name('extism:host/user'), ...name(fn), 0x00, fn === 'log' ? 2 : 1]);
  const call = [0x20, 0, 0x10, 1, ...(fn === 'log' ? [] : [0x1a])];
  const body = [1, 1, 0x7e, 0x42, ...sleb(bytes), 0x10, 0, 0x21, 0, ...(forever ? [0x03, 0x40, ...call, 0x0c, 0, 0x0b] : call), 0x0b];
  return wasmModule(types, imports, section(3, [1, 0]), section(7, [1, ...name('go'), 0x00, 2]), section(10, [1, ...leb(body.length), ...body]));
}
/** A table section: `count` funcref tables of `min` elements, no maximum. */
const tables = (count: number, min: number) => section(4, [...leb(count), ...Array.from({ length: count }, () => [0x70, 0x00, ...leb(min)]).flat()]);

describe('tables', () => {
  test('a module declaring tables far past the worker heap fails to load with LOAD_FAILED, and the host process lives on', async () => {
    // 40 tables of 10 million elements: V8 once allocated them on the worker heap and took the whole process down.
    const m = await withEntry(wasmModule(tables(40, 10_000_000)));
    const error = await rejectionOf(createWasmDriver().instantiate(m, context(m)));
    expect(error.code).toBe('LOAD_FAILED');
    expect(error.message).toContain(`the module's tables need 400000000 elements, more than the cap of ${MAX_TABLE_ELEMENTS}`);
  });

  test('tables within the cap load, and together they can never grow past it', async () => {
    // (func (export "grow") (result i32) ref.null func, i32.const 2_000_000, table.grow 0) over 2 tables of 10 elements
    const body = [0, 0xd0, 0x70, 0x41, ...sleb(2_000_000), 0xfc, 0x0f, 0, 0x0b];
    const bytes = wasmModule(section(1, [1, 0x60, 0, 1, 0x7f]), section(3, [1, 0]), tables(2, 10), section(7, [1, ...name('grow'), 0x00, 0]), section(10, [1, ...leb(body.length), ...body]));
    const module = new WebAssembly.Module((await import('../src/wasm-binary.js')).capMemory(bytes, 16).bytes);
    const grow = new WebAssembly.Instance(module).exports.grow as () => number;
    expect(grow()).toBe(-1); // refused: past the table's capped maximum
    const m = await withEntry(bytes);
    instances.track(await createWasmDriver().instantiate(m, context(m)));
  });
});

describe('logging', () => {
  test('a plugin logging 1 MiB lines in a loop until its timeout leaves the host small, and the host hears a bounded, cut log', async () => {
    const m = await withEntry(hostCaller('log', 2 ** 20, true), { tools: [tool('go')] });
    const ctx = context(m);
    const instance = instances.track(await createWasmDriver().instantiate(m, ctx));
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      expect((await rejectionOf(instance.callTool('go', {}, callOpts(2000)))).code).toBe('TIMEOUT');
    } finally {
      clearInterval(sampler);
    }
    // Unbounded, this grew the host by ~2.4 GB in 3 s.
    expect((peak - before) / 2 ** 20).toBeLessThan(200);
    const lines = ctx.logger.entries;
    expect(lines.reduce((n, e) => n + e.message.length, 0)).toBeLessThan(MAX_LOG_BYTES_PER_CALL + 1024);
    expect(lines[0]!.message.length).toBeLessThan(MAX_LOG_LINE_CHARS + 100);
    expect(lines[0]!.message).toMatch(/… \(\d+ more characters cut\)$/);
    expect(lines.at(-1)).toEqual({ level: 'warn', message: 'the plugin logged more than 1 MiB in one call; its further log lines in this call are dropped' });
  });

  test('the log budget is per call: the next call logs again', async () => {
    const m = await withEntry(hostCaller('log', 16, false), { tools: [tool('go')] });
    const ctx = context(m);
    const instance = instances.track(await createWasmDriver().instantiate(m, ctx));
    for (let i = 0; i < 3; i++) await rejectionOf(instance.callTool('go', {}, callOpts()));
    expect(ctx.logger.entries).toHaveLength(3);
  });
});

test('config_get with a key larger than memoryMb fails the call with MEMORY_LIMIT naming the host memory cap', async () => {
  const m = await withEntry(hostCaller('config_get', 100 * 2 ** 20, false), { tools: [tool('go')] });
  const instance = instances.track(await createWasmDriver().instantiate(m, context(m)));
  const error = await rejectionOf(instance.callTool('go', {}, callOpts()));
  expect(error.code).toBe('MEMORY_LIMIT');
  expect(error.data?.detail).toContain('Extism host memory');
});

describe('files', () => {
  test.each([
    ['is itself a symlink to a dir outside the plugin', (dir: string, outside: string) => {
      rmSync(path.join(dir, 'data'), { recursive: true });
      symlinkSync(outside, path.join(dir, 'data'));
    }],
  ])('an fs dir that %s fails the load with LOAD_FAILED, and the plugin never reads outside', async (_label, plant) => {
    const plugin = copyExample('wasm-hostile');
    const outside = mkdtempSync(path.join(tmpdir(), 'clawdesk-outside-'));
    dirs.push(outside);
    try {
      mkdirSync(path.join(plugin.dir, 'scratch'), { recursive: true });
      writeFileSync(path.join(outside, 'hello.txt'), 'a secret outside the plugin');
      plant(plugin.dir, outside);
      const m = await loadManifest(plugin.dir);
      const loading = createWasmDriver().instantiate(m, context(m));
      const outcome = await loading.then(
        async (instance) => {
          instances.track(instance);
          return JSON.stringify(resultValue(await instance.callTool('fs_probe', { path: 'hello.txt' }, callOpts())));
        },
        (error: Error & { code?: string }) => error,
      );
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error & { code?: string }).code).toBe('LOAD_FAILED');
      expect((outcome as Error).message).toContain('permissions.fs path "./data" leaves the plugin directory');
    } finally {
      plugin.cleanup();
    }
  });
});

describe('symlinks shipped inside an fs dir', () => {
  test.each([
    ['read', 'data', 'rootfs', '/', { path: 'rootfs/proc/self/environ' }],
    ['write', 'scratch', 'tmpfs', tmpdir(), { path: 'tmpfs/clawdesk-wasm-escape.txt', write: true }],
    ['read-only-bypass', 'scratch', 'to-data', '../data', { path: 'to-data/planted.txt', write: true }],
  ])('a %s link (%s/%s -> %s) fails the load with LOAD_FAILED naming it, and nothing is read or written through it', async (_label, dir, link, target, probe) => {
    const plugin = copyExample('wasm-hostile');
    try {
      mkdirSync(path.join(plugin.dir, 'scratch'), { recursive: true });
      symlinkSync(target, path.join(plugin.dir, dir, link));
      const m = await loadManifest(plugin.dir);
      const outcome = await createWasmDriver()
        .instantiate(m, context(m))
        .then(
          async (instance) => JSON.stringify(resultValue(await instances.track(instance).callTool('fs_probe', probe, callOpts()))),
          (error: Error & { code?: string }) => error,
        );
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error & { code?: string }).code).toBe('LOAD_FAILED');
      expect((outcome as Error).message).toContain(`a symlink in permissions.fs path "./${dir}" leads outside it: ${path.join(plugin.dir, dir, link)} -> `);
      expect(existsSync(path.join(tmpdir(), 'clawdesk-wasm-escape.txt'))).toBe(false);
      expect(existsSync(path.join(plugin.dir, 'data', 'planted.txt'))).toBe(false);
    } finally {
      plugin.cleanup();
    }
  });
});

test('an fs dir that is a symlink to a dir inside the plugin is still readable', async () => {
  const plugin = copyExample('wasm-hostile');
  try {
    mkdirSync(path.join(plugin.dir, 'scratch'), { recursive: true });
    renameSync(path.join(plugin.dir, 'data'), path.join(plugin.dir, 'real-data'));
    symlinkSync('./real-data', path.join(plugin.dir, 'data'));
    const m = await loadManifest(plugin.dir);
    const instance = instances.track(await createWasmDriver().instantiate(m, context(m)));
    const probe = resultValue(await instance.callTool('fs_probe', { path: 'hello.txt' }, callOpts())) as { preopens: { dir: string; text?: string }[] };
    expect(probe.preopens[0]).toMatchObject({ dir: '/data', text: 'hello from the data dir\n' });
  } finally {
    plugin.cleanup();
  }
});

describe('a crowd of calls', () => {
  test('500 calls queued behind a runaway one: the runaway times out, queued calls past their own deadline time out in place, the rest are answered, and one thread remains', async () => {
    const m = await loadExample('wasm-conformance');
    const driver = createWasmDriver();
    const instance = instances.track(await driver.instantiate(m, context(m)));
    const started = performance.now();
    const spin = rejectionOf(instance.callTool('spin', {}, callOpts(300)));
    const calls = Array.from({ length: 500 }, (_, i) =>
      instance.callTool('echo', { i }, callOpts(i % 2 === 0 ? 100 : 20_000)).then(
        (r) => ({ ok: true as const, i, value: resultValue(r) }),
        (e: Error & { code?: string }) => ({ ok: false as const, i, code: e.code }),
      ),
    );
    expect((await spin).code).toBe('TIMEOUT');
    const outcomes = await Promise.all(calls);
    // Even calls had 100 ms: the runaway held the queue for 300, so they all timed out waiting.
    expect(outcomes.filter((o) => o.i % 2 === 0).every((o) => !o.ok && o.code === 'TIMEOUT')).toBe(true);
    expect(outcomes.filter((o) => o.i % 2 === 1)).toEqual(outcomes.filter((o) => o.i % 2 === 1).map(({ i }) => ({ ok: true, i, value: { i } })));
    expect(performance.now() - started).toBeLessThan(15_000);
    await waitFor(() => driver.threadIds().length === 1);
    expect(resultValue(await instance.callTool('echo', { after: true }, callOpts()))).toEqual({ after: true });
  });
});

describe('module size', () => {
  test('a wasm entry larger than MAX_MODULE_BYTES is refused from its size, before it is read', async () => {
    const m = await withEntry(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    truncateSync(path.join(m.dir, 'plugin.wasm'), MAX_MODULE_BYTES + 1); // sparse: no disk, no memory
    const rssBefore = process.memoryUsage().rss;
    const error = await rejectionOf(createWasmDriver().instantiate(m, context(m)));
    expect(error.code).toBe('LOAD_FAILED');
    expect(error.message).toContain(`is ${MAX_MODULE_BYTES + 1} bytes, more than the ${MAX_MODULE_BYTES}`);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 2 ** 20);
  });
});
