import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PluginManifest } from '@clawdesk/manifest';
import { resultValue } from '@clawdesk/sandbox';
import { createTestContext, type TestContext } from '@clawdesk/sandbox/conformance';
import { createWasmDriver, type WasmDriver } from '../src/index.js';
import { callOpts, examplesDir, instanceTracker, loadExample, rejectionOf, waitFor } from './helpers.js';

const instances = instanceTracker();
const contexts: TestContext[] = [];
const drivers: WasmDriver[] = [];
let manifest: PluginManifest;

beforeAll(async () => {
  manifest = await loadExample('wasm-conformance');
});
afterEach(async () => {
  await instances.disposeAll();
  await Promise.all(drivers.splice(0).map((d) => d.dispose()));
  for (const ctx of contexts.splice(0)) ctx.cleanup();
});

function driver(options: Parameters<typeof createWasmDriver>[0] = {}): WasmDriver {
  const d = createWasmDriver(options);
  drivers.push(d);
  return d;
}

async function start(d: WasmDriver, m: PluginManifest = manifest) {
  const ctx = createTestContext(m);
  contexts.push(ctx);
  return instances.track(await d.instantiate(m, ctx));
}

/** The spare's thread id, once it is up. */
async function spareOf(d: WasmDriver): Promise<number> {
  await waitFor(() => d.spareThreadIds().length === 1);
  return d.spareThreadIds()[0]!;
}

test('after a plugin starts, a spare worker waits; the next plugin runs on it alone and a new spare takes its place', async () => {
  const d = driver();
  const a = await start(d);
  const [threadA] = d.threadIds();
  const spare = await spareOf(d);
  expect(spare).not.toBe(threadA);

  const b = await start(d);
  expect(d.threadIds().sort()).toEqual([threadA, spare].sort());
  const next = await spareOf(d);
  expect([threadA, spare]).not.toContain(next);
  expect(resultValue(await a.callTool('echo', { from: 'a' }, callOpts()))).toEqual({ from: 'a' });
  expect(resultValue(await b.callTool('echo', { from: 'b' }, callOpts()))).toEqual({ from: 'b' });
});

test('the spare is no instance thread: once every instance is disposed threadIds() is empty, and dispose() stops the spare for good', async () => {
  const d = driver();
  const instance = await start(d);
  await spareOf(d);
  await instance.dispose();
  await waitFor(() => d.threadIds().length === 0);
  expect(d.spareThreadIds()).toHaveLength(1);

  await d.dispose();
  expect(d.spareThreadIds()).toEqual([]);
  // Starting still works after dispose(), each start on its own new thread, with no spare made.
  const later = await start(d);
  expect(resultValue(await later.callTool('echo', { after: 'dispose' }, callOpts()))).toEqual({ after: 'dispose' });
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(d.spareThreadIds()).toEqual([]);
});

test('an unused spare stops after spareIdleMs, and spareIdleMs 0 keeps none', async () => {
  const idle = driver({ spareIdleMs: 300 });
  await start(idle);
  await spareOf(idle);
  await waitFor(() => idle.spareThreadIds().length === 0, 5_000);

  const none = driver({ spareIdleMs: 0 });
  await start(none);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(none.spareThreadIds()).toEqual([]);
  expect(() => createWasmDriver({ spareIdleMs: -1 })).toThrow('createWasmDriver: option "spareIdleMs" must be a finite number >= 0, got -1');
});

test('the restart after a timeout runs on the spare', async () => {
  const d = driver();
  const instance = await start(d);
  const spare = await spareOf(d);
  expect((await rejectionOf(instance.callTool('spin', {}, callOpts(300)))).code).toBe('TIMEOUT');
  expect(resultValue(await instance.callTool('echo', { after: 'timeout' }, callOpts()))).toEqual({ after: 'timeout' });
  await waitFor(() => d.threadIds().length === 1);
  expect(d.threadIds()).toEqual([spare]);
});

test('a plugin with a larger memoryMb does not take a spare booted with smaller heap limits', async () => {
  const d = driver();
  await start(d);
  const spare = await spareOf(d);
  const roomy = { ...manifest, permissions: { ...manifest.permissions, memoryMb: manifest.permissions.memoryMb * 4 } };
  await start(d, roomy);
  expect(d.threadIds()).not.toContain(spare);
  expect(await spareOf(d)).not.toBe(spare);
});

test('instantiate cancelled while it claims the spare rejects with CANCELLED, stops that thread, and the next start works', async () => {
  const d = driver();
  await start(d);
  const spare = await spareOf(d);
  const controller = new AbortController();
  const ctx = createTestContext(manifest);
  contexts.push(ctx);
  const pending = rejectionOf(d.instantiate(manifest, ctx, { signal: controller.signal }));
  controller.abort(new Error('user left'));
  expect((await pending).code).toBe('CANCELLED');
  await waitFor(() => d.threadIds().length === 1);
  expect(d.threadIds()).not.toContain(spare);
  const next = await start(d);
  expect(resultValue(await next.callTool('echo', { still: 'fine' }, callOpts()))).toEqual({ still: 'fine' });
});

test('neither a running plugin nor the spare keeps the process alive: a script that forgets both exits by itself', async () => {
  const dist = new URL('../dist/index.js', import.meta.url).href;
  // CommonJS with dynamic imports: no --input-type flag, which the workers would inherit and refuse.
  const script = `(async () => {
    const { createWasmDriver } = await import(${JSON.stringify(dist)});
    const { loadManifest } = await import('@clawdesk/manifest');
    const { createTestContext } = await import('@clawdesk/sandbox/conformance');
    const manifest = await loadManifest(${JSON.stringify(`${examplesDir}wasm-conformance`)});
    const ctx = createTestContext(manifest);
    const driver = createWasmDriver({ spareIdleMs: 600000 });
    const instance = await driver.instantiate(manifest, ctx);
    await instance.callTool('echo', {}, { signal: new AbortController().signal, timeoutMs: 10000 });
    while (driver.spareThreadIds().length === 0) await new Promise((r) => setTimeout(r, 10));
    ctx.cleanup();
    console.log(JSON.stringify({ instances: driver.threadIds().length, spares: driver.spareThreadIds().length }));
  })();`;
  const t0 = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    timeout: 30_000,
  });
  expect(JSON.parse(stdout)).toEqual({ instances: 1, spares: 1 });
  // Far below spareIdleMs: nothing waited for a timer to let go.
  expect(performance.now() - t0).toBeLessThan(25_000);
}, 35_000);
