import { rmSync } from 'node:fs';
import path from 'node:path';
import { resultValue } from '@clawdesk/sandbox';
import { createWasmDriver } from '../src/index.js';
import { callOpts, copyExample, entryFixtures, instanceTracker, loadExample, rejectionOf, waitFor } from './helpers.js';
import { exportMemory, importSection, memorySection, section, voidType, wasmModule } from './wasm-bytes.js';

const instances = instanceTracker();
const { context, withEntry, cleanup, dirs } = entryFixtures();
afterEach(async () => {
  await instances.disposeAll();
  cleanup();
});

test('the driver is kind wasm from @clawdesk/sandbox-wasm, runs only wasm sandboxes, and enforces every permission', async () => {
  const driver = createWasmDriver();
  const manifest = await loadExample('weather-wasm');
  expect(driver.kind).toBe('wasm');
  expect(driver.packageName).toBe('@clawdesk/sandbox-wasm');
  expect(driver.supports(manifest)).toBe(true);
  expect(driver.supports({ ...manifest, sandbox: 'process', runtime: 'node' })).toBe(false);
  expect(driver.enforcement(manifest)).toEqual({ network: 'enforced', fsRead: 'enforced', fsWrite: 'enforced', env: 'enforced', memory: 'enforced', timeout: 'enforced' });
  const error = await rejectionOf(driver.instantiate({ ...manifest, sandbox: 'process' }, context(manifest)));
  expect(error.code).toBe('LOAD_FAILED');
});

test('manifest tools (and hooks) without a matching export fail to load, listing every missing export', async () => {
  const copy = copyExample('wasm-hostile');
  dirs.push(copy.dir);
  const base = await loadExample('wasm-hostile');
  const manifest = {
    ...base,
    dir: copy.dir,
    tools: [...base.tools, { name: 'fly', description: 'no such export' }, { name: 'teleport', description: 'nor this' }],
    hooks: ['on_message'],
  };
  const error = await rejectionOf(createWasmDriver().instantiate(manifest, context(manifest)));
  expect(error.code).toBe('LOAD_FAILED');
  expect(error.data).toEqual({ missing: ['fly', 'teleport', 'on_hook'] });
  expect(error.message).toBe(
    `plugin "wasm-hostile" failed to load: ./dist/plugin.wasm does not export "fly", "teleport", "on_hook", declared in ${base.manifestFile}`,
  );
});

test.each([
  ['is missing', null, /cannot read its wasm entry \.\/plugin\.wasm: ENOENT/],
  ['is not wasm', Uint8Array.from(Buffer.from('MZ not a module')), /\.\/plugin\.wasm: not a wasm module \(bad magic number\)/],
  ['has a valid header but broken code', Uint8Array.from([...wasmModule(), 1, 3, 1, 0x60, 9]), /\.\/plugin\.wasm: not a valid wasm module/],
])('an entry that %s fails to load with LOAD_FAILED saying why', async (_label, bytes, message) => {
  const manifest = await withEntry(bytes ?? new Uint8Array());
  if (bytes === null) rmSync(path.join(manifest.dir, 'plugin.wasm'));
  const error = await rejectionOf(createWasmDriver().instantiate(manifest, context(manifest)));
  expect(error.code).toBe('LOAD_FAILED');
  expect(error.message).toMatch(message);
});

test('a module needing more memory than permissions.memoryMb fails to load, naming the cap', async () => {
  const base = await withEntry(wasmModule(memorySection({ min: 32 }), exportMemory()));
  const manifest = { ...base, permissions: { ...base.permissions, memoryMb: 1 } };
  const error = await rejectionOf(createWasmDriver().instantiate(manifest, context(manifest)));
  expect(error.code).toBe('LOAD_FAILED');
  expect(error.data).toEqual({ reason: 'memory', memoryMb: 1 });
  expect(error.message).toMatch(/needs at least 32 pages \(2 MiB\) of memory, more than the cap of 16 pages \(1 MiB\) \(raise permissions\.memoryMb\)/);
});

test('a module importing functions the driver does not provide fails to load, naming them', async () => {
  const manifest = await withEntry(wasmModule(voidType(), importSection([{ kind: 'func', module: 'env', field: 'system' }, { kind: 'func', module: 'wasi_unstable', field: 'fd_write' }])));
  const error = await rejectionOf(createWasmDriver().instantiate(manifest, context(manifest)));
  expect(error.code).toBe('LOAD_FAILED');
  expect(error.data).toEqual({ imports: ['env.system', 'wasi_unstable.fd_write'] });
});

test('instantiate with an aborted signal rejects with CANCELLED and starts nothing', async () => {
  const driver = createWasmDriver();
  const manifest = await loadExample('wasm-conformance');
  const error = await rejectionOf(driver.instantiate(manifest, context(manifest), { signal: AbortSignal.abort(new Error('stop')) }));
  expect(error.code).toBe('CANCELLED');
  expect(driver.threadIds()).toEqual([]);
});

test('instantiate cancelled while the worker starts rejects with CANCELLED and leaves no thread', async () => {
  const driver = createWasmDriver();
  const manifest = await loadExample('wasm-conformance');
  const controller = new AbortController();
  const pending = rejectionOf(driver.instantiate(manifest, context(manifest), { signal: controller.signal }));
  setTimeout(() => controller.abort(new Error('user left')), 5);
  expect((await pending).code).toBe('CANCELLED');
  await waitFor(() => driver.threadIds().length === 0);
});

test('a module whose start function never returns fails to load after startTimeoutMs, and its thread is stopped', async () => {
  // (func $start (loop (br 0))) (start $start)
  const looping = wasmModule(voidType(), section(3, [1, 0]), section(8, [0]), section(10, [1, 7, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b]));
  const manifest = await withEntry(looping);
  const driver = createWasmDriver({ startTimeoutMs: 300 });
  const error = await rejectionOf(driver.instantiate(manifest, context(manifest)));
  expect(error.code).toBe('LOAD_FAILED');
  expect(error.message).toBe('plugin "wasm-conformance" failed to load: the plugin did not start within 300 ms');
  await waitFor(() => driver.threadIds().length === 0);
});

test('a module with no tools and no hooks still loads, and dispatch resolves undefined when it has no on_hook', async () => {
  const manifest = await withEntry(wasmModule(memorySection({ min: 1 }), exportMemory()));
  const instance = instances.track(await createWasmDriver().instantiate(manifest, context(manifest)));
  expect(await instance.describe()).toEqual({ tools: [], hooks: [] });
  expect(await instance.dispatch('on_anything', { x: 1 }, callOpts())).toBeUndefined();
});

test('each instance runs in its own worker thread, and disposing one leaves the other answering', async () => {
  const driver = createWasmDriver();
  const manifest = await loadExample('wasm-conformance');
  const a = instances.track(await driver.instantiate(manifest, context(manifest)));
  const b = instances.track(await driver.instantiate(manifest, context(manifest)));
  expect(driver.threadIds()).toHaveLength(2);
  await a.dispose();
  expect(driver.threadIds()).toHaveLength(1);
  expect(resultValue(await b.callTool('echo', { still: 'here' }, callOpts()))).toEqual({ still: 'here' });
});

test('payloads larger than a small channel travel over the bulk port both ways', async () => {
  const manifest = await loadExample('wasm-conformance');
  const instance = instances.track(await createWasmDriver({ channelBytes: 1024 }).instantiate(manifest, context(manifest)));
  const args = { text: 'é😀'.repeat(2000), n: [1, 2, 3] };
  expect(resultValue(await instance.callTool('echo', args, callOpts()))).toEqual(args);
  const small = { tiny: true };
  expect(resultValue(await instance.callTool('echo', small, callOpts()))).toEqual(small);
});

test('arguments that cannot be serialized reject with INVALID_ARGUMENTS before reaching the plugin', async () => {
  const manifest = await loadExample('wasm-conformance');
  const instance = instances.track(await createWasmDriver().instantiate(manifest, context(manifest)));
  const error = await rejectionOf(instance.callTool('echo', { n: 1n }, callOpts()));
  expect(error.code).toBe('INVALID_ARGUMENTS');
  expect(resultValue(await instance.callTool('echo', { n: 1 }, callOpts()))).toEqual({ n: 1 });
});

test('a long call after many short ones leaves the event loop free: a timer fires while it runs', async () => {
  const manifest = await loadExample('wasm-conformance');
  const instance = instances.track(await createWasmDriver({ hostWaitMicros: 5_000 }).instantiate(manifest, context(manifest)));
  // Short calls teach the main thread to wait for the next answer synchronously.
  for (let i = 0; i < 200; i++) await instance.callTool('echo', { i }, callOpts());
  const order: string[] = [];
  setTimeout(() => order.push('timer'), 20);
  await instance.callTool('sleep', { ms: 400 }, callOpts()).then(() => order.push('call'));
  // Had the main thread waited for the whole call, the answer would have come before any timer.
  expect(order).toEqual(['timer', 'call']);
});

test('invalid driver options are refused up front, naming the option and what arrived', () => {
  expect(() => createWasmDriver({ maxOutputBytes: 0 })).toThrow('createWasmDriver: option "maxOutputBytes" must be a finite number >= 1, got 0');
  expect(() => createWasmDriver({ hostSpinMicros: -1 })).toThrow('createWasmDriver: option "hostSpinMicros" must be a finite number >= 0, got -1');
  expect(() => createWasmDriver({ hostWaitMicros: Number.NaN })).toThrow('createWasmDriver: option "hostWaitMicros" must be a finite number >= 0, got NaN');
  expect(() => createWasmDriver({ channelBytes: '64k' as unknown as number })).toThrow('createWasmDriver: option "channelBytes" must be a finite number >= 1024, got "64k" (string)');
  expect(() => createWasmDriver({ startTimeoutMs: Number.POSITIVE_INFINITY })).toThrow('got Infinity');
  expect(() => createWasmDriver({ workerSpinMicros: 'always' as unknown as number })).toThrow(
    'createWasmDriver: option "workerSpinMicros" must be a finite number >= 0, got "always" (string)',
  );
  expect(() => createWasmDriver({ workerSpinMicros: 'adaptive' })).not.toThrow();
});
