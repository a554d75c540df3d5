// Process driver, pipelined: throughput with IN_FLIGHT calls in flight through the host (process-echo,
// node) vs the same number of pipelined NDJSON requests to a minimal child that answers like serve().
// Goal (issue 14): host / raw ≥ 0.7×. Rounds alternate so drift hits both alike. Run after a build:
//   node bench/run.mjs process-pipelined
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost } from '@clawdesk/host';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { rawEchoChild } from './_echo-child.mjs';
import { round } from './_stats.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const pluginDir = path.join(root, 'examples/process-echo');
const IN_FLIGHT = 64;
const CALLS = 10_000;
const ROUNDS = 3;

/** Calls per second of `call` with `inFlight` callers, each starting its next call when the last one answers. */
async function throughput(call, inFlight, calls) {
  let next = 0;
  let wrong = 0;
  const caller = async () => {
    while (next < calls) {
      const i = next++;
      const result = await call({ text: 'hello', i });
      if (result?.structuredContent?.i !== i) wrong++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, caller));
  const seconds = (performance.now() - t0) / 1000;
  if (wrong) throw new Error(`${wrong} answers did not match their call`);
  return calls / seconds;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** @returns {Promise<Array<Record<string, unknown>>>} */
export async function bench() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'clawdesk-bench-pipelined-'));
  const host = createHost({ drivers: [createProcessDriver()], hostVersion: '1.0.0', dataDir });
  const raw = rawEchoChild();
  try {
    await host.load(pluginDir);
    const cases = {
      raw: (args) => raw.call(args),
      host: (args) => host.callTool('process-echo', 'echo', args),
    };
    for (const call of Object.values(cases)) await throughput(call, IN_FLIGHT, 1000); // warm-up
    const perSecond = { raw: [], host: [] };
    for (let r = 0; r < ROUNDS; r++) for (const [name, call] of Object.entries(cases)) perSecond[name].push(await throughput(call, IN_FLIGHT, CALLS));
    const rawRate = median(perSecond.raw);
    const hostRate = median(perSecond.host);
    const note = `${CALLS} calls, median of ${ROUNDS} rounds`;
    return [
      { name: `pipelined echo, ${IN_FLIGHT} in flight: raw NDJSON to a minimal node child (baseline)`, value: Math.round(rawRate), unit: 'calls/s', note },
      { name: `pipelined echo, ${IN_FLIGHT} in flight: host.callTool (process driver)`, value: Math.round(hostRate), unit: 'calls/s', note },
      {
        name: 'pipelined: host calls/s / raw calls/s',
        figure: 'process.pipelinedOverRaw',
        value: round(hostRate / rawRate),
        unit: '×',
        goal: '≥ 0.7',
      },
    ];
  } finally {
    await Promise.all([host.close(), raw.close()]);
    await rm(dataDir, { recursive: true, force: true });
  }
}

export const run = bench;
