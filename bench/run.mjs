// Runs every bench suite (bench/<name>.mjs exporting `async bench()` → rows; files starting with
// "_" are helpers), prints one table and writes bench/results.json. Run by hand after a build:
//   npm run bench
// A driver adds rows by adding bench/<driver>.mjs; nothing here needs to change.
// `node bench/run.mjs native wasm` runs only those suites.
//
// Figures: a row carrying `figure: '<suite>.<name>'` gives its `value` (a number) to results.json's
// `figures` object — flat keys with dots, stable across releases, so figures can be tracked. Every
// FIGURES key is always there; it is null when its suite did not run (or failed) in this run and in
// the results.json rows kept from earlier runs of `node bench/run.mjs <suite>`. Which suite gives which:
//   wasm: wasm.isolatedOverForeground, wasm.isolatedOverForegroundBusy, wasm.runInWorkerOverIsolated,
//         wasm.isolatedP99OverForegroundP99, memory.wasmIdleMb
//   process: process.hostOverRaw (null when @clawdesk/host is not built), memory.nodeIdleMiB
//   process-pipelined: process.pipelinedOverRaw      native: native.hostOverDirect
//   reload: reload.wasmSwapMs, reload.failedCalls     load: load.lostCalls, load.callsPerSecond
// `--json` prints only that object on stdout (the table goes to stderr). `npm run bench -- --json`
// passes the flag through, but npm prints its own "> clawdesk bench" banner on stdout first; use
// `npm run -s bench -- --json` for stdout that is only the JSON.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.filter((a) => !a.startsWith('--'));
// With --json, stdout carries the figures only: anything else written there (a suite, a plugin) goes to stderr.
const stdout = process.stdout.write.bind(process.stdout);
if (json) process.stdout.write = process.stderr.write.bind(process.stderr);
const print = (text) => process.stdout.write(`${text}\n`);

/** Figure keys every results.json has; see the header. */
const FIGURES = [
  'wasm.isolatedOverForeground',
  'wasm.isolatedOverForegroundBusy',
  'wasm.runInWorkerOverIsolated',
  'wasm.isolatedP99OverForegroundP99',
  'process.hostOverRaw',
  'process.pipelinedOverRaw',
  'native.hostOverDirect',
  'reload.wasmSwapMs',
  'reload.failedCalls',
  'memory.wasmIdleMb',
  'memory.nodeIdleMiB',
  'load.lostCalls',
  'load.callsPerSecond',
];

const files = (await readdir(here))
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.includes(path.basename(f, '.mjs')))
  .sort();

const rows = [];
const failures = [];
for (const file of files) {
  const suite = path.basename(file, '.mjs');
  process.stderr.write(`bench: ${suite} …\n`);
  try {
    const mod = await import(pathToFileURL(path.join(here, file)).href);
    if (typeof mod.bench !== 'function') throw new Error(`${file} does not export async function bench()`);
    rows.push(...(await mod.bench()).map((r) => ({ suite, ...r })));
  } catch (error) {
    failures.push({ suite, error: error instanceof Error ? error.message : String(error) });
  }
}

// Fixed timing columns first, then any other short field a suite reports (value, unit, goal …).
const fixed = ['suite', 'name', 'p50Us', 'p99Us', 'ratioP50', 'overheadUs', 'samples'];
const extra = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => !fixed.includes(k) && k !== 'note' && k !== 'figure');
const columns = [...fixed, ...extra];
const cell = (v) => (v === undefined || v === null ? '' : String(v));
const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
const line = (values) => values.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
print(line(columns));
print(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) print(line(columns.map((c) => cell(r[c]))));
for (const f of failures) print(`! ${f.suite} failed: ${f.error}`);

const results = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  loadavg: os.loadavg().map((n) => Number(n.toFixed(2))),
  units: { p50Us: 'µs per call, median', p99Us: 'µs per call, 99th percentile', ratioP50: 'p50 / baseline p50', overheadUs: 'p50 − baseline p50, µs' },
  rows,
  failures,
};
// `node bench/run.mjs native` re-runs one suite and keeps the other suites' last rows.
if (only.length) {
  const previous = await readFile(path.join(here, 'results.json'), 'utf8').then(JSON.parse, () => ({ rows: [] }));
  results.rows = [...previous.rows.filter((r) => !only.includes(r.suite)), ...rows];
}
results.figures = figuresOf(results.rows);
await writeFile(path.join(here, 'results.json'), JSON.stringify(results, null, 2) + '\n');
if (json) stdout(`${JSON.stringify(results.figures, null, 2)}\n`);
if (failures.length) process.exitCode = 1;

/** `figures` from the rows' `figure` keys: every FIGURES key, null when no row measured it. */
function figuresOf(allRows) {
  const figures = Object.fromEntries(FIGURES.map((k) => [k, null]));
  for (const r of allRows) if (typeof r.figure === 'string' && typeof r.value === 'number') figures[r.figure] = r.value;
  return figures;
}
