// Wasm driver rows: one isolated call (worker thread + SharedArrayBuffer channel) against the same
// .wasm called by Extism 1.0.3 directly, in the foreground and with runInWorker; the same pair again
// with one CPU-bound process per core running beside (started and stopped here); plus load time
// (cold, and on the driver's spare worker) and idle memory per plugin. Needs `npm run build`
// (examples/wasm-conformance/dist/plugin.wasm).
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import createPlugin from '@extism/extism';
import { loadManifest } from '@clawdesk/manifest';
import { createTestContext } from '@clawdesk/sandbox/conformance';
import { createWasmDriver } from '@clawdesk/sandbox-wasm';
import { round, timingRow, timeInterleaved, timeStarts } from './_stats.mjs';

const pluginDir = fileURLToPath(new URL('../examples/wasm-conformance/', import.meta.url));
const IDLE_PLUGINS = 8;
const SPARE_LOADS = 10;
/** Pause between loads on the spare: long enough for the next spare to boot, as between real reloads. */
const SPARE_GAP_MS = 500;

/** @returns {Promise<Array<Record<string, unknown>>>} */
export async function bench() {
  const manifest = await loadManifest(pluginDir);
  const wasm = await readFile(new URL('../examples/wasm-conformance/dist/plugin.wasm', import.meta.url));
  const ctx = createTestContext(manifest);
  const driver = createWasmDriver();
  const foreground = await createPlugin({ wasm: [{ data: wasm }] }, { useWasi: true });
  const background = await createPlugin({ wasm: [{ data: wasm }] }, { useWasi: true, runInWorker: true });
  const opts = { signal: new AbortController().signal, timeoutMs: 30_000 };
  let instance;
  try {
    const loadStart = performance.now();
    instance = await driver.instantiate(manifest, ctx);
    await instance.callTool('echo', { warm: true }, opts);
    const loadMs = performance.now() - loadStart;

    const args = (i) => ({ text: 'hello', i });
    // Each side does the same work: serialize the arguments, run `echo`, parse its JSON output.
    const stats = await timeInterleaved(
      {
        foreground: async (i) => JSON.parse((await foreground.call('echo', JSON.stringify(args(i)))).text()),
        isolated: (i) => instance.callTool('echo', args(i), opts),
        runInWorker: async (i) => JSON.parse((await background.call('echo', JSON.stringify(args(i)))).text()),
      },
      { warmup: 1000, iterations: 6000, block: 250 },
    );
    const busy = await withBurners(() =>
      timeInterleaved(
        {
          foreground: async (i) => JSON.parse((await foreground.call('echo', JSON.stringify(args(i)))).text()),
          isolated: (i) => instance.callTool('echo', args(i), opts),
        },
        { warmup: 500, iterations: 4000, block: 250 },
      ),
    );
    const idleMb = await idleMemoryPerPlugin(driver, manifest, ctx);
    const floorMb = await idleMemoryPerBareWorker();
    const spareLoads = await loadsOnSpare(manifest, ctx);

    const fg = stats.foreground;
    const iso = stats.isolated;
    const bg = stats.runInWorker;
    const row = (name, s, note, base = fg) => timingRow(name, s, base, { value: round(s.p50Us), unit: 'µs p50', note });
    return [
      row('echo: raw Extism foreground call (baseline)', fg, 'plugin.call() on the main thread; cannot be timed out'),
      row('echo: isolated call (sandbox-wasm callTool)', iso, 'own worker + SharedArrayBuffer/Atomics channel, timeout, queue'),
      row('echo: Extism runInWorker call', bg, "Extism's own worker; 1.0.3 has no timeout either"),
      {
        name: 'isolated p50 / foreground p50',
        figure: 'wasm.isolatedOverForeground',
        value: round(iso.p50Us / fg.p50Us),
        unit: '×',
        goal: '≤ 1.5',
        ratioP50: round(iso.p50Us / fg.p50Us),
      },
      {
        name: 'isolated p99 / foreground p99',
        figure: 'wasm.isolatedP99OverForegroundP99',
        value: round(iso.p99Us / fg.p99Us),
        unit: '×',
        goal: '≤ 2',
      },
      {
        name: 'runInWorker p50 / isolated p50',
        figure: 'wasm.runInWorkerOverIsolated',
        value: round(bg.p50Us / iso.p50Us),
        unit: '×',
        goal: '≥ 40',
        ratioP50: round(bg.p50Us / iso.p50Us),
      },
      row(`busy (${BURNERS} CPU-bound processes beside): raw Extism foreground call`, busy.foreground, 'baseline of the busy pair', busy.foreground),
      row(`busy (${BURNERS} CPU-bound processes beside): isolated call`, busy.isolated, 'ratio against the busy foreground call', busy.foreground),
      {
        name: 'busy: isolated p50 / foreground p50',
        figure: 'wasm.isolatedOverForegroundBusy',
        value: round(busy.isolated.p50Us / busy.foreground.p50Us),
        unit: '×',
        goal: '≤ 2',
        ratioP50: round(busy.isolated.p50Us / busy.foreground.p50Us),
      },
      { name: 'load: instantiate + first call', value: round(loadMs, 1), unit: 'ms', note: 'a new driver: boots its worker' },
      {
        name: `load on the spare worker: instantiate + describe (p50 of ${SPARE_LOADS})`,
        value: round(spareLoads[Math.floor(spareLoads.length / 2)], 1),
        unit: 'ms',
        note: `${SPARE_GAP_MS} ms apart, so each finds a booted spare; max ${round(spareLoads.at(-1), 1)} ms`,
      },
      { name: `idle memory per plugin (RSS, ${IDLE_PLUGINS} plugins)`, figure: 'memory.wasmIdleMb', value: round(idleMb, 1), unit: 'MB', goal: '≤ 10' },
      {
        name: `idle memory floor: a bare worker thread (RSS, ${IDLE_PLUGINS} threads)`,
        value: round(floorMb, 1),
        unit: 'MB',
        note: "same resourceLimits, nothing loaded: Node's own cost of a thread, under every plugin",
      },
    ];
  } finally {
    await instance?.dispose();
    await driver.dispose();
    await foreground.close();
    await background.close();
    ctx.cleanup();
  }
}

const BURNERS = os.availableParallelism();

/** Runs `fn` with one CPU-bound child process per core spinning beside it; always stops them. */
async function withBurners(fn) {
  const burners = Array.from({ length: BURNERS }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  // Should the bench die before `finally`, the burners must not outlive it.
  const killAll = () => burners.forEach((child) => child.kill('SIGKILL'));
  process.once('exit', killAll);
  try {
    await new Promise((resolve) => setTimeout(resolve, 300)); // let them reach full speed
    return await fn();
  } finally {
    await Promise.all(
      burners.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
    process.off('exit', killAll);
  }
}

/** The name for the entry point; same rows. */
export const run = bench;

/** instantiate + describe with a spare worker booted and waiting, ascending. */
async function loadsOnSpare(manifest, ctx) {
  const driver = createWasmDriver();
  try {
    await (await driver.instantiate(manifest, ctx)).dispose(); // the first start boots; the spare follows
    return await timeStarts(driver, manifest, ctx, { times: SPARE_LOADS, gapMs: SPARE_GAP_MS });
  } finally {
    await driver.dispose();
  }
}

/** RSS once garbage is collected and the threads have settled. */
async function settledRss() {
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 300));
  return process.memoryUsage().rss;
}

/** Node's floor under a plugin: a worker thread that loads nothing, with the driver's resourceLimits. */
async function idleMemoryPerBareWorker() {
  const before = await settledRss();
  const workers = [];
  try {
    for (let i = 0; i < IDLE_PLUGINS; i++) {
      const worker = new Worker("require('node:worker_threads').parentPort.postMessage(0); setInterval(() => {}, 1e9);", {
        eval: true,
        env: {},
        resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 2 },
      });
      await once(worker, 'message');
      workers.push(worker);
    }
    return ((await settledRss()) - before) / IDLE_PLUGINS / 2 ** 20;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function idleMemoryPerPlugin(driver, manifest, ctx) {
  const before = await settledRss();
  const instances = [];
  try {
    for (let i = 0; i < IDLE_PLUGINS; i++) instances.push(await driver.instantiate(manifest, ctx));
    const after = await settledRss();
    return (after - before) / IDLE_PLUGINS / 2 ** 20;
  } finally {
    await Promise.all(instances.map((i) => i.dispose()));
  }
}
