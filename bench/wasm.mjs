// Wasm driver rows: one isolated call (worker thread + SharedArrayBuffer channel) against the same
// .wasm called by Extism 1.0.3 directly in the foreground (the baseline), interleaved; Extism's
// runInWorker against the same baseline in a pair of its own; the first pair again with one
// CPU-bound process per core running beside (started and stopped here); the OS's floor for any
// parked handoff, idle and busy, and for a spinning one; load time (cold, and on the driver's spare worker); idle memory
// per plugin and per bare worker thread (in a fresh process, bench/_wasm-idle.mjs). Needs
// `npm run build` (examples/wasm-conformance/dist/plugin.wasm).
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
import { percentile, round, timingRow, timeInterleaved, timeStarts } from './_stats.mjs';

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
    const fgCall = async (i) => JSON.parse((await foreground.call('echo', JSON.stringify(args(i)))).text());
    const isoCall = (i) => instance.callTool('echo', args(i), opts);
    const bgCall = async (i) => JSON.parse((await background.call('echo', JSON.stringify(args(i)))).text());
    // runInWorker has a pair of its own: its worker thread and the garbage of its calls are load on
    // 2 cores, and the quiet pair must be quiet. Both pairs share the baseline, so their ratios compose.
    const stats = await timeInterleaved({ foreground: fgCall, isolated: isoCall }, { warmup: 1000, iterations: 6000, block: 250 });
    const bgStats = await timeInterleaved({ foreground: fgCall, runInWorker: bgCall }, { warmup: 200, iterations: 2000, block: 250 });
    const floor = await pingPong('parked');
    const spinFloor = await pingPong('spinning');
    const busy = await withBurners(async () => ({
      ...(await timeInterleaved({ foreground: fgCall, isolated: isoCall }, { warmup: 500, iterations: 4000, block: 250 })),
      floor: await pingPong('parked'),
    }));
    const idleMb = await idleMemory('plugins');
    const floorMb = await idleMemory('bare');
    const spareLoads = await loadsOnSpare(manifest, ctx);

    const fg = stats.foreground;
    const iso = stats.isolated;
    const bg = bgStats.runInWorker;
    // runInWorker / isolated through the shared baseline: (bg / its pair's fg) / (iso / fg).
    const bgOverIso = bg.p50Us / bgStats.foreground.p50Us / (iso.p50Us / fg.p50Us);
    const row = (name, s, note, base = fg) => timingRow(name, s, base, { value: round(s.p50Us), unit: 'µs p50', note });
    return [
      row('echo: raw Extism foreground call (baseline)', fg, 'plugin.call() on the main thread; cannot be timed out'),
      row('echo: isolated call (sandbox-wasm callTool)', iso, 'own worker + SharedArrayBuffer/Atomics channel, timeout, queue'),
      row('echo: Extism runInWorker call', bg, "Extism's own worker; 1.0.3 has no timeout either; ratio against its own pair's baseline", bgStats.foreground),
      {
        name: 'floor: a call handed to a sleeping thread and back (bare Atomics.wait ping-pong, no work)',
        value: round(floor.p50Us),
        unit: 'µs p50',
        p99Us: round(floor.p99Us),
        note: 'what any parked handoff costs on this machine before clawdesk does anything',
      },
      {
        name: 'floor: a call handed to a spinning thread and back (both threads busy-wait, no work)',
        value: round(spinFloor.p50Us),
        unit: 'µs p50',
        p99Us: round(spinFloor.p99Us),
        note: 'the best any handoff between two threads can do here, at p50 and p99',
      },
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
        value: round(bgOverIso),
        unit: '×',
        goal: '≥ 40',
        ratioP50: round(bgOverIso),
        note: 'each against the foreground baseline of its own pair',
      },
      {
        name: 'runInWorker p50 / foreground p50 (the ceiling of the row above)',
        value: round(bg.p50Us / bgStats.foreground.p50Us),
        unit: '×',
        note: 'what runInWorker / isolated would be if an isolated call cost exactly a foreground call',
      },
      row(`busy (${BURNERS} CPU-bound processes beside): raw Extism foreground call`, busy.foreground, 'baseline of the busy pair', busy.foreground),
      row(`busy (${BURNERS} CPU-bound processes beside): isolated call`, busy.isolated, 'ratio against the busy foreground call', busy.foreground),
      {
        name: `busy floor: a call handed to a sleeping thread and back (bare Atomics.wait ping-pong, no work)`,
        value: round(busy.floor.p50Us),
        unit: 'µs p50',
        p99Us: round(busy.floor.p99Us),
        ratioP50: round((busy.floor.p50Us + busy.foreground.p50Us) / busy.foreground.p50Us),
        note: 'ratioP50: a parked isolated call could at best cost (floor + foreground) / foreground',
      },
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

/** Longest a ping-pong round trip may take before the bench gives up on the worker, ms. */
const PING_PONG_DEADLINE_MS = 5_000;

/**
 * A bare handoff, no work: the main thread hands a SharedArrayBuffer slot to a worker, which
 * answers at once. `parked`: both wait in Atomics.wait and the caller leaves a gap between calls,
 * so each call wakes a sleeping thread (the OS's cost of any parked handoff). `spinning`: both
 * busy-wait on cores of their own, calls back to back (the floor of a spinning handoff: what
 * isolation costs at best, at p50 and p99, on this machine).
 */
async function pingPong(mode, { warmup = 500, iterations = 4000 } = {}) {
  const sab = new SharedArrayBuffer(8);
  const ctl = new Int32Array(sab);
  // The worker waits on the value it checked: reading it again for Atomics.wait could catch the
  // next request already there, and sleep through it for good.
  const waitForRequest =
    mode === 'parked' ? 'for (let v; (v = Atomics.load(ctl, 0)) !== 1; ) Atomics.wait(ctl, 0, v);' : 'while (Atomics.load(ctl, 0) !== 1);';
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const ctl = new Int32Array(workerData);
     for (;;) { ${waitForRequest} Atomics.store(ctl, 0, 2); Atomics.notify(ctl, 0); }`,
    { eval: true, workerData: sab },
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const samples = [];
    for (let i = 0; i < warmup + iterations; i++) {
      const t0 = performance.now();
      Atomics.store(ctl, 0, 1);
      Atomics.notify(ctl, 0);
      while (Atomics.load(ctl, 0) === 1) {
        if (mode === 'parked') Atomics.wait(ctl, 0, 1, 100);
        if (performance.now() - t0 > PING_PONG_DEADLINE_MS) throw new Error(`${mode} ping-pong: the worker did not answer within ${PING_PONG_DEADLINE_MS} ms`);
      }
      if (i >= warmup) samples.push((performance.now() - t0) * 1000);
      // Parked: a caller's gap between calls, so the worker is asleep again when the next one comes.
      await (mode === 'parked' ? new Promise((resolve) => setImmediate(resolve)) : Promise.resolve());
    }
    samples.sort((a, b) => a - b);
    return { p50Us: percentile(samples, 50), p99Us: percentile(samples, 99) };
  } finally {
    await worker.terminate();
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

/** MiB per idle plugin (`plugins`) or bare worker thread (`bare`), measured in a fresh process. */
async function idleMemory(mode) {
  const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(new URL('./_wasm-idle.mjs', import.meta.url)), mode, String(IDLE_PLUGINS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`bench/_wasm-idle.mjs ${mode} exited with ${code}`);
  return JSON.parse(out).mb;
}
