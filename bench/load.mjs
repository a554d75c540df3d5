// Load row: the scenario of tools/e2e/test/load.test.ts, timed. 1 000 concurrent calls over 20
// plugins (wasm, process and native in turn) through one host; halfway through sending, one process
// plugin crashes and one wasm plugin is hot-reloaded. Counts calls lost, duplicated or answered to
// the wrong caller (goal 0 each), calls failed by the crash, calls/s, and what close() leaves.
// Needs `npm run build`.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, createNativeDriver } from '@clawdesk/host';
import { loadManifest } from '@clawdesk/manifest';
import { resultValue } from '@clawdesk/sandbox';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { createWasmDriver } from '@clawdesk/sandbox-wasm';
import { round } from './_stats.mjs';

const examples = fileURLToPath(new URL('../examples/', import.meta.url));
const PLUGINS = 20;
const CALLS = 1_000;
const KINDS = ['wasm', 'process', 'native'];
const DIRS = { wasm: 'wasm-conformance', process: 'process-echo', native: 'native-echo' };
const CRASHER = 'process-1';
const RELOADER = 'wasm-0';

/** @returns {Promise<Array<Record<string, unknown>>>} */
export async function bench() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'clawdesk-bench-load-'));
  const wasm = createWasmDriver();
  const host = createHost({
    drivers: [wasm, createProcessDriver(), createNativeDriver()],
    hostVersion: '1.0.0',
    dataDir,
    restart: { initialDelayMs: 50, factor: 1, maxDelayMs: 50 },
  });
  let closed = false;
  try {
    const base = Object.fromEntries(await Promise.all(KINDS.map(async (k) => [k, await loadManifest(path.join(examples, DIRS[k]))])));
    const names = [];
    const counts = { wasm: 0, process: 0, native: 0 };
    for (let i = 0; i < PLUGINS; i++) {
      const kind = KINDS[i % KINDS.length];
      names.push(`${kind}-${counts[kind]++}`);
      await host.load({ ...base[kind], name: names.at(-1) });
    }
    const expected = (call) => ({ plugin: names[call % PLUGINS], call });
    // Warm every plugin once, so the row times calls, not first-call compilation.
    await Promise.all(names.map((plugin) => host.callTool(plugin, 'echo', {})));

    const settled = new Array(CALLS).fill(0);
    let disturbances;
    const t0 = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: CALLS }, (_, call) => {
        if (call === CALLS / 2) disturbances = Promise.allSettled([host.callTool(CRASHER, 'crash', {}), host.reload(RELOADER)]);
        return host
          .callTool(expected(call).plugin, 'echo', expected(call))
          .then((result) => ({ ok: true, value: resultValue(result) }), (error) => ({ ok: false, error }))
          .finally(() => settled[call]++);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const [, reload] = await disturbances;

    const lost = settled.filter((n) => n === 0).length;
    const duplicated = settled.filter((n) => n > 1).length;
    const answers = outcomes.flatMap((o, call) => (o.ok ? [{ call, value: o.value }] : []));
    const misrouted = answers.filter(({ call, value }) => JSON.stringify(value) !== JSON.stringify(expected(call))).length;
    const failed = outcomes.filter((o) => !o.ok);
    const failedElsewhere = outcomes.filter((o, call) => !o.ok && (names[call % PLUGINS] !== CRASHER || o.error.code !== 'CRASHED')).length;

    await host.close();
    closed = true;
    const children = await childProcesses();
    const threads = wasm.threadIds().length + wasm.spareThreadIds().length;

    const note = `${PLUGINS} plugins (${KINDS.join('/')}), ${CRASHER} crashed and ${RELOADER} reloaded (${reload.status}) mid-run`;
    return [
      { name: `load: ${CALLS} concurrent calls, calls/s`, figure: 'load.callsPerSecond', value: Math.round(CALLS / seconds), unit: 'calls/s', note },
      { name: 'load: calls lost (never answered)', figure: 'load.lostCalls', value: lost, unit: 'calls', goal: '0' },
      { name: 'load: calls duplicated or answered to the wrong caller', value: duplicated + misrouted, unit: 'calls', goal: '0' },
      {
        name: `load: calls failed by the crash (to ${CRASHER})`,
        value: failed.length - failedElsewhere,
        unit: 'calls',
        note: `in flight on the process when it exited; failures anywhere else: ${failedElsewhere} (goal 0)`,
      },
      { name: 'load: after host.close(), child processes + worker threads left', value: children + threads, unit: '', goal: '0', note: `${children} processes, ${threads} threads (plugin workers and the driver's spare)` },
    ];
  } finally {
    if (!closed) await host.close();
    await wasm.dispose();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Live child processes of this process (a plugin process left behind would be one). */
async function childProcesses() {
  let count = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const [state, ppid] = stat.split(') ')[1]?.split(' ') ?? []; // fields after "(comm) ": state, ppid, …
    if (Number(ppid) === process.pid && state !== 'Z') count++;
  }
  return count;
}

export const run = bench;
