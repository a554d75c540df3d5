// Process driver rows: a tool call through the driver (and the host) vs a raw NDJSON round trip to a
// minimal echo child; spawn-to-ready and idle RSS per runtime; each with the OS sandbox (isolation,
// where this machine has it) against the same driver with isolation: 'off', in one run.
// Run after a build: node bench/run.mjs process
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '@clawdesk/manifest';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { rawEchoChild } from './_echo-child.mjs';
import { round, timingRow, timeInterleaved } from './_stats.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const pluginDir = path.join(root, 'examples/process-echo');
const bin = (name) => path.join(root, 'node_modules/.bin', name);
const RUNTIMES = { node: process.execPath, bun: bin('bun'), deno: bin('deno') };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function context(manifest) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'clawdesk-bench-process-'));
  return { manifest, dataDir, config: {}, logger: quiet, browserDownload: async () => { throw new Error('n/a'); }, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
}

/** Resident set size of a process and its descendants (the sandbox chain and the runtime), in MiB. */
async function rssMiB(pid) {
  const { readdir } = await import('node:fs/promises');
  const parents = new Map();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(Number(entry), ppid);
  }
  const inTree = (p) => {
    for (let q = p; q > 1; q = parents.get(q) ?? 0) if (q === pid) return true;
    return false;
  };
  let kB = 0;
  for (const p of parents.keys()) {
    if (!inTree(p)) continue;
    const status = await readFile(`/proc/${p}/status`, 'utf8').catch(() => '');
    kB += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  }
  return kB / 1024;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const opts = () => ({ timeoutMs: 30_000, signal: new AbortController().signal });

async function callRows(driver, plain, manifest) {
  const ctx = await context(manifest);
  const instance = await driver.instantiate(manifest, ctx).catch(async (error) => {
    await ctx.cleanup();
    throw error;
  });
  const isolated = driver.enforcement(manifest).reasons?.network?.startsWith('network namespace') === true;
  const plainInstance = isolated ? await plain.instantiate(manifest, ctx) : undefined;
  const raw = rawEchoChild();
  let host;
  try {
    const { createHost } = await import('@clawdesk/host');
    host = createHost({ drivers: [createProcessDriver()], hostVersion: '1.0.0', dataDir: ctx.dataDir });
    await host.load(pluginDir);
  } catch {
    host = undefined; // @clawdesk/host not built: its row is left out.
  }
  try {
    const args = (i) => ({ text: 'hello', i });
    const cases = {
      raw: (i) => raw.call(args(i)),
      driver: (i) => instance.callTool('echo', args(i), opts()),
      ...(plainInstance ? { plain: (i) => plainInstance.callTool('echo', args(i), opts()) } : {}),
      ...(host ? { host: (i) => host.callTool('process-echo', 'echo', args(i)) } : {}),
    };
    const stats = await timeInterleaved(cases, { warmup: 500, iterations: 4000, block: 250 });
    const base = stats.raw;
    const row = (name, s, extra) => timingRow(name, s, base, extra);
    return [
      row('echo: raw NDJSON round trip to a minimal node child (baseline)', base, { value: round(base.p50Us), unit: 'µs p50' }),
      row(`echo: driver.callTool (node, serve()${isolated ? ', OS sandbox' : ''})`, stats.driver, { value: round(stats.driver.p50Us / base.p50Us), unit: '× raw p50', goal: '≤ 1.5×' }),
      ...(stats.plain
        ? [
            row("echo: driver.callTool (node, serve(), isolation: 'off')", stats.plain, { value: round(stats.plain.p50Us / base.p50Us), unit: '× raw p50' }),
            { name: 'echo: OS sandbox cost, call p50 sandboxed / off', value: round(stats.driver.p50Us / stats.plain.p50Us), unit: '× off p50', goal: '≤ 1.1×' },
          ]
        : [{ name: 'echo: OS sandbox cost', value: 'n/a', unit: driver.enforcement(manifest).reasons?.network ?? 'no OS isolation here' }]),
      ...(stats.host ? [row('echo: host.callTool (process driver)', stats.host, { figure: 'process.hostOverRaw', value: round(stats.host.p50Us / base.p50Us), unit: '× raw p50', goal: '≤ 1.3×' })] : []),
    ];
  } finally {
    await Promise.all([instance.dispose(), plainInstance?.dispose(), raw.close(), host?.close()]);
    await ctx.cleanup();
  }
}

const ROUNDS = 7;

/**
 * Spawn-to-ready and idle RSS per runtime for each variant (a driver, a manifest patch, a label).
 * The starts are interleaved round by round, so the machine's drift hits every variant alike, and
 * the cost of a variant over `off` is the median of its per-round differences.
 */
async function spawnRows(base, variants) {
  const samples = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    for (const runtime of Object.keys(RUNTIMES)) {
      for (const variant of variants) {
        if (variant.runtimes && !variant.runtimes.includes(runtime)) continue;
        const manifest = { ...base, ...variant.patch, runtime };
        const key = `${variant.label}|${runtime}`;
        if (!samples.has(key)) samples.set(key, { variant, runtime, ms: [], rss: NaN });
        const sample = samples.get(key);
        const ctx = await context(manifest);
        try {
          const t0 = performance.now();
          const instance = await variant.driver.instantiate(manifest, ctx);
          sample.ms.push(performance.now() - t0);
          if (round === 0) {
            await instance.callTool('echo', {}, opts());
            await new Promise((resolve) => setTimeout(resolve, 300));
            sample.rss = await rssMiB(instance.pid);
          }
          await instance.dispose();
        } finally {
          await ctx.cleanup();
        }
      }
    }
  }
  const rows = [];
  for (const { variant, runtime, ms, rss } of samples.values()) {
    rows.push({ name: `spawn to ready: ${runtime}${variant.label} (instantiate, median of ${ROUNDS} interleaved)`, value: round(median(ms), 1), unit: 'ms' });
    const figure = runtime === 'node' && variant.memoryFigure ? { figure: 'memory.nodeIdleMiB', goal: '≤ 40' } : {};
    rows.push({ name: `idle RSS per plugin: ${runtime}${variant.label}`, value: round(rss, 1), unit: 'MiB', ...figure });
  }
  const off = variants.find((v) => v.baseline);
  for (const { variant, runtime, ms } of samples.values()) {
    if (!variant.costName || !off) continue;
    const plain = samples.get(`${off.label}|${runtime}`).ms;
    rows.push({ name: `${variant.costName}, ${runtime} (median of per-round differences)`, value: round(median(ms.map((m, i) => m - plain[i])), 1), unit: 'ms more than off', goal: '≤ +50 ms' });
  }
  return rows;
}


/**
 * The floor a runtime imposes: the idle RSS of the bare runtime with nothing loaded but a timer,
 * next to which a plugin's own cost (the SDK, serve(), its code) is the difference.
 */
async function floorRows() {
  const rows = [];
  for (const [runtime, bin] of Object.entries(RUNTIMES)) {
    const args = { node: ['-e', 'setInterval(() => {}, 1000)'], bun: ['-e', 'setInterval(() => {}, 1000)'], deno: ['eval', 'setInterval(() => {}, 1000)'] }[runtime];
    const child = spawn(bin, args, { stdio: 'ignore', env: { PATH: process.env.PATH, DENO_NO_UPDATE_CHECK: '1' } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      rows.push({ name: `idle RSS floor: bare ${runtime} running only a timer`, value: round(await rssMiB(child.pid), 1), unit: 'MiB' });
    } finally {
      child.kill('SIGKILL');
    }
  }
  return rows;
}

/** User + system CPU time of one process so far, in µs (clock ticks of 10 ms). */
async function cpuMicros(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Anonymous (private: heap, stacks, malloc) memory of one process, in MiB: what each more plugin costs beyond the runtime's shared code pages. */
async function anonMiB(pid) {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  return Number(/^Anonymous:\s+(\d+) kB/m.exec(rollup)?.[1] ?? NaN) / 1024;
}

/**
 * Node's memory per plugin, default vs `jitless: true` (isolation 'off', so the runtime alone is
 * measured): idle RSS and anonymous memory after one call, the same after 65 000 pipelined calls,
 * and what jitless costs: the plugin's CPU per call (median of 3 interleaved rounds).
 */
async function nodeMemoryRows(manifest) {
  const variants = { default: createProcessDriver({ isolation: 'off' }), jitless: createProcessDriver({ isolation: 'off', jitless: true }) };
  const started = {};
  const rows = [];
  try {
    for (const [name, driver] of Object.entries(variants)) {
      const ctx = await context(manifest);
      started[name] = { ctx, instance: await driver.instantiate(manifest, ctx) };
    }
    /** CPU the plugin process spends per call (µs) over `calls` pipelined calls: its own cost, whatever else the machine runs. */
    const burst = async (instance, calls) => {
      let next = 0;
      const cpu0 = await cpuMicros(instance.pid);
      await Promise.all(Array.from({ length: 64 }, async () => { while (next++ < calls) await instance.callTool('echo', { text: 'hello', i: next }, opts()); }));
      return ((await cpuMicros(instance.pid)) - cpu0) / calls;
    };
    const idle = {};
    for (const [name, { instance }] of Object.entries(started)) {
      await instance.callTool('echo', {}, opts());
      await new Promise((resolve) => setTimeout(resolve, 300));
      idle[name] = { rss: await rssMiB(instance.pid), anon: await anonMiB(instance.pid) };
    }
    const cpu = { default: [], jitless: [] };
    for (const { instance } of Object.values(started)) await burst(instance, 5000);
    // Clock ticks are 10 ms: 20 000 calls a round keep the figure to about a tick in 100.
    for (let r = 0; r < 3; r++) for (const [name, { instance }] of Object.entries(started)) cpu[name].push(await burst(instance, 20_000));
    for (const [name, { instance }] of Object.entries(started)) {
      const label = name === 'default' ? '' : ', jitless: true';
      rows.push({ name: `node plugin memory${label}, idle (isolation: 'off'): RSS; anonMiB = its private part`, value: round(idle[name].rss, 1), unit: 'MiB', anonMiB: round(idle[name].anon, 1) });
      rows.push({ name: `node plugin memory${label}, after 65 000 calls: RSS; anonMiB = its private part`, value: round(await rssMiB(instance.pid), 1), unit: 'MiB', anonMiB: round(await anonMiB(instance.pid), 1) });
    }
    for (const name of Object.keys(cpu)) rows.push({ name: `plugin CPU per echo call: node${name === 'default' ? '' : ', jitless: true'} (64 in flight, median of 3 rounds)`, value: round(median(cpu[name]), 1), unit: 'µs' });
    return rows;
  } finally {
    for (const { ctx, instance } of Object.values(started)) {
      await instance.dispose();
      await ctx.cleanup();
    }
  }
}

/** @returns {Promise<Array<Record<string, unknown>>>} */
export async function bench() {
  const manifest = await loadManifest(pluginDir);
  const driver = createProcessDriver({ runtimes: RUNTIMES });
  const plain = createProcessDriver({ runtimes: RUNTIMES, isolation: 'off' });
  const isolated = driver.enforcement(manifest).reasons?.network?.startsWith('network namespace') === true;
  const calls = await callRows(driver, plain, manifest);
  const floors = [...(await floorRows()), ...(await nodeMemoryRows(manifest))];
  if (!isolated) return [...calls, ...(await spawnRows(manifest, [{ driver, label: '', memoryFigure: true }])), ...floors];
  // The tracked memory figure is the runtime's own (the sandbox chain adds its waiting unshare).
  // With a granted host the start also opens the egress proxy's socket and preloads its forwarder.
  const networked = { permissions: { ...manifest.permissions, network: { allowedHosts: ['127.0.0.1:9'] } } };
  const spawns = await spawnRows(manifest, [
    { driver, label: ', OS sandbox', costName: 'spawn to ready: OS sandbox cost' },
    { driver: plain, label: ", isolation: 'off'", baseline: true, memoryFigure: true },
    { driver, patch: networked, label: ', OS sandbox + egress proxy', runtimes: ['node'], costName: 'spawn to ready: OS sandbox + egress proxy cost' },
  ]);
  return [...calls, ...spawns, ...floors];
}

export const run = bench;
