import { performance } from 'node:perf_hooks';
import type { PluginHost } from '@clawdesk/host';
import { resultValue } from '@clawdesk/sandbox';
import { intFlag, jsonArgs, stringFlag, type Command } from '../command.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { loadOne, pluginsDir, withHost } from '../host.js';
import { table } from '../output.js';

const DEFAULT_INPUT = { hello: 'world', n: [1, 2, 3] };
const WARM_UP_CALLS = 50;

interface BenchStats {
  plugin: string;
  tool: string;
  sandbox: string;
  calls: number;
  p50Us: number;
  p99Us: number;
  callsPerSecond: number;
}

export interface BenchDefaults {
  /**
   * What `bench` with no plugin times: `[plugin, tool]` pairs looked up in the plugins dir, called
   * with a small JSON object. A host app with bundled plugins sets one per sandbox so the drivers compare.
   */
  targets: readonly (readonly [plugin: string, tool: string])[];
}

/** The `bench` command; with `defaults`, `bench` alone times those targets instead of asking for a plugin. */
export function createBenchCommand(defaults?: BenchDefaults): Command {
  return {
    name: 'bench',
    usage: defaults ? 'bench [<plugin> <tool> [json]]' : 'bench <plugin> <tool> [json]',
    summary: defaults
      ? `time calls through the host (p50/p99 latency, calls per second); with no plugin: ${defaults.targets.map(([p, t]) => `${p}.${t}`).join(', ')}`
      : 'time calls of one tool through the host: p50/p99 latency and calls per second, after a warm-up',
    examples: [`clawdesk bench weather-wasm forecast '{"city":"Oslo"}' --n 500`, ...(defaults ? ['clawdesk bench'] : [])],
    options: { n: { type: 'string' } },
    help: ['--n <count>          calls per tool (default 1000)'],
    async run({ args, flags, out, signal, defaultDir }) {
      const [ref, tool, json] = args;
      if (ref && !tool) throw new UsageError('bench needs a tool after the plugin: clawdesk bench <plugin> <tool> [json]');
      if (!ref && !defaults) throw new UsageError('bench needs a plugin and a tool: clawdesk bench <plugin> <tool> [json]');
      const n = intFlag(flags, 'n', 1) ?? 1000;
      const input = ref ? jsonArgs(json) : DEFAULT_INPUT;
      const dir = pluginsDir(stringFlag(flags, 'dir'), defaultDir);
      return withHost({ dirs: [dir], dataDir: stringFlag(flags, 'data-dir'), configFile: stringFlag(flags, 'config') }, async ({ host }) => {
        const targets = ref && tool ? [[ref, tool] as const] : (defaults?.targets ?? []);
        const results: BenchStats[] = [];
        for (const [plugin, name] of targets) {
          signal.throwIfAborted();
          results.push(await timeCalls(host, await loadOne(host, plugin), name, input, n, signal));
        }
        out.result({ results });
        const us = (v: number) => `${v.toFixed(1)} µs`;
        out.line(
          table([
            ['PLUGIN', 'SANDBOX', 'TOOL', 'CALLS', 'P50', 'P99', 'CALLS/S'].map((h) => out.dim(h)),
            ...results.map((s) => [s.plugin, s.sandbox, s.tool, String(s.calls), us(s.p50Us), us(s.p99Us), s.callsPerSecond.toFixed(0)]),
          ]),
        );
        return EXIT.OK;
      });
    },
  };
}

export const bench = createBenchCommand();

async function timeCalls(host: PluginHost, plugin: string, tool: string, input: unknown, n: number, signal: AbortSignal): Promise<BenchStats> {
  // A tool that reports an error would be timed as fast failures: refuse instead.
  const first = await host.callTool(plugin, tool, input, { signal });
  if (first.isError) throw new CliError('TOOL_ERROR', `${plugin}.${tool} reported an error, nothing to time: ${JSON.stringify(resultValue(first))}`);
  for (let i = 1; i < Math.min(WARM_UP_CALLS, n); i++) await host.callTool(plugin, tool, input, { signal });
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await host.callTool(plugin, tool, input, { signal });
    times.push(performance.now() - t0);
  }
  const total = performance.now() - started;
  times.sort((a, b) => a - b);
  const pick = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return {
    plugin,
    tool,
    sandbox: host.get(plugin)?.manifest.sandbox ?? 'unknown',
    calls: n,
    p50Us: round(pick(0.5) * 1000),
    p99Us: round(pick(0.99) * 1000),
    callsPerSecond: round((n / total) * 1000),
  };
}

const round = (v: number) => Math.round(v * 10) / 10;
