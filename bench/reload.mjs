// Hot-reload rows, per driver: how long host.reload takes to start the new version beside the old
// one and swap it in (idle, and under 4 concurrent callers), how much of that is the driver's own
// instantiate + describe, how many calls fail while reloading under a steady stream of calls
// (goal 0), and the end-to-end latency of a watched file change, debounce excluded.
// Needs `npm run build` (examples/wasm-conformance/dist/plugin.wasm).
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, createNativeDriver } from '@clawdesk/host';
import { loadManifest } from '@clawdesk/manifest';
import { createTestContext } from '@clawdesk/sandbox/conformance';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { createWasmDriver } from '@clawdesk/sandbox-wasm';
import { percentile, round, timeStarts } from './_stats.mjs';

const examples = fileURLToPath(new URL('../examples/', import.meta.url));
const SWAPS = 10;
const DEBOUNCE_MS = 50;
/** Real hot reloads come one edit at a time, at least a watch debounce (200 ms by default) apart. */
const EDIT_GAP_MS = 300;

const DRIVERS = [
  { kind: 'native', plugin: 'native-echo', driver: () => createNativeDriver(), goalMs: undefined },
  { kind: 'process', plugin: 'process-echo', driver: () => createProcessDriver(), goalMs: undefined },
  { kind: 'wasm', plugin: 'wasm-conformance', driver: () => createWasmDriver(), goalMs: 50, swapFigure: 'reload.wasmSwapMs' },
];

/** @returns {Promise<Array<Record<string, unknown>>>} */
export async function bench() {
  const rows = [];
  for (const d of DRIVERS) rows.push(...(await benchDriver(d)));
  const failed = rows.filter((r) => r.name.includes(': calls failed during ')).reduce((sum, r) => sum + r.value, 0);
  rows.push({ name: `calls failed during swaps, all ${DRIVERS.length} drivers`, figure: 'reload.failedCalls', value: failed, unit: 'calls', goal: '0' });
  return rows;
}

/** The name bench/run.mjs does not need but other runners may look for. */
export { bench as run };

async function benchDriver({ kind, plugin, driver, goalMs, swapFigure }) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'clawdesk-bench-reload-'));
  const host = createHost({ drivers: [driver()], hostVersion: '1.0.0', dataDir });
  try {
    await host.load(path.join(examples, plugin));
    await host.callTool(plugin, 'echo', { warm: true });
    const idle = await timeSwaps(host, plugin, EDIT_GAP_MS);
    const backToBack = await timeSwaps(host, plugin, 0);
    const instantiate = await timeInstantiate(driver(), path.join(examples, plugin));

    // A steady stream of calls from 4 callers during every swap.
    let calls = 0;
    let failed = 0;
    let running = true;
    const caller = async () => {
      while (running) {
        await host.callTool(plugin, 'echo', { n: calls }).then(
          () => calls++,
          () => failed++,
        );
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const callers = [caller(), caller(), caller(), caller()];
    let busy;
    try {
      busy = await timeSwaps(host, plugin);
    } finally {
      running = false;
      await Promise.all(callers);
    }

    // File change → 'reloaded', through host.watch, minus the debounce.
    const latencies = [];
    const watcher = await host.watch([examples], { debounceMs: DEBOUNCE_MS });
    try {
      const manifestFile = path.join(examples, plugin, 'plugin.json5');
      for (let i = 0; i < 5; i++) {
        const reloaded = new Promise((resolve) => host.once('reloaded', resolve));
        const t0 = performance.now();
        const now = new Date();
        await utimes(manifestFile, now, now);
        await reloaded;
        latencies.push(performance.now() - t0 - DEBOUNCE_MS);
      }
    } finally {
      await watcher.close();
    }
    latencies.sort((a, b) => a - b);

    return [
      {
        name: `${kind}: swap time, reload → new version serving, edits ${EDIT_GAP_MS} ms apart (p50 of ${SWAPS})`,
        value: round(percentile(idle, 50)),
        unit: 'ms',
        ...(swapFigure ? { figure: swapFigure } : {}),
        ...(goalMs === undefined ? {} : { goal: `≤ ${goalMs}` }),
        note: `max ${round(idle.at(-1))} ms`,
      },
      {
        name: `${kind}: swap time, reloads back to back (p50 of ${SWAPS})`,
        value: round(percentile(backToBack, 50)),
        unit: 'ms',
        note: 'no pause: each swap also waits for a sandbox booted by the one before',
      },
      {
        name: `${kind}: driver alone, instantiate + describe (p50 of ${SWAPS})`,
        value: round(percentile(instantiate, 50)),
        unit: 'ms',
        note: 'the same plugin started by the driver alone, no host',
      },
      {
        name: `${kind}: swap time under 4 concurrent callers (p50 of ${SWAPS})`,
        value: round(percentile(busy, 50)),
        unit: 'ms',
        note: `max ${round(busy.at(-1))} ms`,
      },
      {
        name: `${kind}: calls failed during ${SWAPS} swaps`,
        value: failed,
        unit: 'calls',
        goal: '0',
        note: `${calls} calls succeeded meanwhile`,
      },
      {
        name: `${kind}: watched change → reloaded, debounce excluded (p50 of ${latencies.length})`,
        value: round(percentile(latencies, 50)),
        unit: 'ms',
      },
    ];
  } finally {
    await host.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** host.reload durations, ascending, with `gapMs` of quiet before each. */
async function timeSwaps(host, plugin, gapMs) {
  const swaps = [];
  for (let i = 0; i < SWAPS; i++) {
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    const t0 = performance.now();
    await host.reload(plugin);
    swaps.push(performance.now() - t0);
  }
  return swaps.sort((a, b) => a - b);
}

/** driver.instantiate + describe of the plugin, without a host, ascending. */
async function timeInstantiate(driver, dir) {
  const manifest = await loadManifest(dir);
  const ctx = createTestContext(manifest);
  try {
    return await timeStarts(driver, manifest, ctx, { times: SWAPS });
  } finally {
    ctx.cleanup();
  }
}
