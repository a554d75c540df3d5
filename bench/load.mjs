// Load row: the scenario tools/e2e/test/load.test.ts asserts (tools/e2e/test/load-scenario.ts, which
// Node 24 runs by stripping its types), timed. 1 000 concurrent calls over 20 plugins (wasm, process
// and native in turn) through one host; halfway through sending, one process plugin crashes and one
// wasm plugin is hot-reloaded. Counts calls lost, duplicated or answered to the wrong caller (goal 0
// each), calls failed by the crash, calls/s, and what close() leaves. Needs `npm run build`.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, createNativeDriver } from '@clawdesk/host';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { createWasmDriver } from '@clawdesk/sandbox-wasm';
import { CALLS, CRASHER, failures, KINDS, misrouted, PLUGINS, RELOADER, runLoad } from '../tools/e2e/test/load-scenario.ts';

const examples = fileURLToPath(new URL('../examples/', import.meta.url));
const DIRS = { wasm: 'wasm-conformance', process: 'process-echo', native: 'native-echo' };

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
    const run = await runLoad(host, Object.fromEntries(KINDS.map((k) => [k, path.join(examples, DIRS[k])])));
    const lost = run.settled.filter((n) => n === 0).length;
    const duplicated = run.settled.filter((n) => n > 1).length;
    const failed = failures(run);
    const failedElsewhere = failed.filter((f) => f.plugin !== CRASHER || f.code !== 'CRASHED').length;

    await host.close();
    closed = true;
    const children = await childProcesses();
    const threads = wasm.threadIds().length + wasm.spareThreadIds().length;

    const note = `${PLUGINS} plugins (${KINDS.join('/')}), ${CRASHER} crashed and ${RELOADER} reloaded (${run.reload.status}) mid-run`;
    return [
      { name: `load: ${CALLS} concurrent calls, calls/s`, figure: 'load.callsPerSecond', value: Math.round(CALLS / run.seconds), unit: 'calls/s', note },
      { name: 'load: calls lost (never answered)', figure: 'load.lostCalls', value: lost, unit: 'calls', goal: '0' },
      { name: 'load: calls duplicated or answered to the wrong caller', value: duplicated + misrouted(run).length, unit: 'calls', goal: '0' },
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
