// Process driver, pipelined: throughput with IN_FLIGHT calls in flight through the host (process-echo,
// node) vs the same number of pipelined NDJSON requests to a minimal child that answers like serve().
// Goal (issue 14): host / raw ≥ 0.7×. Like with like: every case gets the same payload, the same
// number in flight and the same warm-up, and the cases run in interleaved rounds (their order rotating
// each round) so drift and a busy machine hit each alike; the figure is the median of the per-round
// ratios. The host row uses the driver's defaults (isolation 'prefer': the OS sandbox where this
// machine has it); the same host with isolation 'off', and a raw child whose both ends coalesce
// writes as the driver and serve() do, are shown beside it. Run after a build:
//   node bench/run.mjs process-pipelined
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '@clawdesk/manifest';
import { createHost } from '@clawdesk/host';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { rawEchoChild } from './_echo-child.mjs';
import { round } from './_stats.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const pluginDir = path.join(root, 'examples/process-echo');
const IN_FLIGHT = 64;
const CALLS = 8_000;
const ROUNDS = 15;
// Enough calls for V8 to optimise every case's whole path before anything is timed.
const WARMUP_CALLS = 20_000;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

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
  const manifest = await loadManifest(pluginDir);
  const driver = createProcessDriver();
  const sandboxed = driver.enforcement(manifest).reasons?.network?.startsWith('network namespace') === true;
  const host = createHost({ drivers: [driver], hostVersion: '1.0.0', dataDir: path.join(dataDir, 'a'), logger: quiet });
  const plain = createHost({ drivers: [createProcessDriver({ isolation: 'off' })], hostVersion: '1.0.0', dataDir: path.join(dataDir, 'b'), logger: quiet });
  const raw = rawEchoChild();
  const coalesced = rawEchoChild({ coalesce: true });
  try {
    await Promise.all([host.load(pluginDir), plain.load(pluginDir)]);
    const cases = {
      raw: (args) => raw.call(args),
      host: (args) => host.callTool('process-echo', 'echo', args),
      plain: (args) => plain.callTool('process-echo', 'echo', args),
      coalesced: (args) => coalesced.call(args),
    };
    for (const call of Object.values(cases)) await throughput(call, IN_FLIGHT, WARMUP_CALLS);
    const perSecond = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
    const names = Object.keys(cases);
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(r + k) % names.length];
        perSecond[name].push(await throughput(cases[name], IN_FLIGHT, CALLS));
      }
    }
    const rate = (name) => median(perSecond[name]);
    /** Median over rounds of `name`'s rate / `base`'s rate in the same round. */
    const ratio = (name, base) => round(median(perSecond[name].map((v, i) => v / perSecond[base][i])));
    const note = `${CALLS} calls per round, median of ${ROUNDS} interleaved rounds after ${WARMUP_CALLS} warm-up calls each`;
    const hostLabel = sandboxed ? "OS sandbox (isolation: 'prefer', the default)" : "isolation: 'prefer' (the default; no OS sandbox on this machine)";
    return [
      { name: `pipelined echo, ${IN_FLIGHT} in flight: raw NDJSON to a minimal node child, a write per message (baseline)`, value: Math.round(rate('raw')), unit: 'calls/s', note },
      { name: `pipelined echo, ${IN_FLIGHT} in flight: host.callTool (process driver, ${hostLabel})`, value: Math.round(rate('host')), unit: 'calls/s', note },
      { name: `pipelined echo, ${IN_FLIGHT} in flight: host.callTool (process driver, isolation: 'off')`, value: Math.round(rate('plain')), unit: 'calls/s', note },
      { name: `pipelined echo, ${IN_FLIGHT} in flight: raw NDJSON, both ends coalescing a tick's writes`, value: Math.round(rate('coalesced')), unit: 'calls/s', note },
      { name: `pipelined: host calls/s / raw calls/s (${sandboxed ? 'OS sandbox' : 'default isolation'})`, figure: 'process.pipelinedOverRaw', value: ratio('host', 'raw'), unit: '×', goal: '≥ 0.7', note },
      { name: "pipelined: host (isolation: 'off') calls/s / raw calls/s", value: ratio('plain', 'raw'), unit: '×', note },
      { name: 'pipelined: host calls/s / coalescing raw calls/s', value: ratio('host', 'coalesced'), unit: '×', note },
    ];
  } finally {
    await Promise.all([host.close(), plain.close(), raw.close(), coalesced.close()]);
    await rm(dataDir, { recursive: true, force: true });
  }
}

export const run = bench;
