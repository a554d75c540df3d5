// Child process of bench/wasm.mjs: RSS per idle wasm plugin, or per bare worker thread, measured in
// a fresh process (in the bench's own process, pages freed by earlier suites are reused and hide
// the cost). Prints {"mb": <MiB per plugin or thread>}. Run with --expose-gc.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { loadManifest } from '@clawdesk/manifest';
import { createTestContext } from '@clawdesk/sandbox/conformance';
import { createWasmDriver } from '@clawdesk/sandbox-wasm';

const COUNT = Number(process.argv[3] ?? 8);
const mode = process.argv[2];

async function settledRss() {
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 300));
  return process.memoryUsage().rss;
}

async function perPlugin() {
  const manifest = await loadManifest(new URL('../examples/wasm-conformance/', import.meta.url).pathname);
  const ctx = createTestContext(manifest);
  const driver = createWasmDriver();
  // The first start compiles the module and boots the spare: costs every later plugin does not pay.
  await (await driver.instantiate(manifest, ctx)).dispose();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = await settledRss();
  const instances = [];
  for (let i = 0; i < COUNT; i++) instances.push(await driver.instantiate(manifest, ctx));
  const after = await settledRss();
  await Promise.all(instances.map((i) => i.dispose()));
  await driver.dispose();
  ctx.cleanup();
  return (after - before) / COUNT;
}

/** Node's floor under a plugin: a worker thread that loads nothing, with the driver's resourceLimits. */
async function perBareWorker() {
  const before = await settledRss();
  const workers = [];
  for (let i = 0; i < COUNT; i++) {
    const worker = new Worker("require('node:worker_threads').parentPort.postMessage(0); setInterval(() => {}, 1e9);", {
      eval: true,
      env: {},
      resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 2 },
    });
    await once(worker, 'message');
    workers.push(worker);
  }
  const after = await settledRss();
  await Promise.all(workers.map((w) => w.terminate()));
  return (after - before) / COUNT;
}

const bytes = mode === 'bare' ? await perBareWorker() : await perPlugin();
process.stdout.write(`${JSON.stringify({ mb: bytes / 2 ** 20 })}\n`);
