// The load scenario, shared by the test (load.test.ts asserts its outcome) and the bench
// (bench/load.mjs times it; Node runs this file by stripping its types, so it imports packages only).
// 1 000 concurrent calls over 20 plugins of all three drivers; halfway through sending, with every
// plugin's earlier calls still in flight, one process plugin crashes and one wasm plugin is hot-reloaded.
import { loadManifest, type PluginManifest } from '@clawdesk/manifest';
import type { PluginHost } from '@clawdesk/host';
import { resultValue } from '@clawdesk/sandbox';

export const PLUGINS = 20;
export const CALLS = 1_000;
export const KINDS = ['wasm', 'process', 'native'] as const;
export type Kind = (typeof KINDS)[number];
export const CRASHER = 'process-1';
export const RELOADER = 'wasm-0';

export type Outcome = { ok: true; value: unknown } | { ok: false; error: Error & { code?: string } };

export interface LoadRun {
  /** Plugin names in load order: `<kind>-<n>`; call `i` goes to `names[i % PLUGINS]`. */
  names: string[];
  /** Per call, in call order. */
  outcomes: Outcome[];
  /** Per call, how many times it settled (1 is right; 0 is lost, 2 duplicated). */
  settled: number[];
  crash: PromiseSettledResult<unknown>;
  reload: PromiseSettledResult<unknown>;
  /** From the first call sent to the last one settled. */
  seconds: number;
}

/** What call `call` sends, and so what its answer must be: its own plugin and number. */
export const expected = (names: string[], call: number) => ({ plugin: names[call % PLUGINS]!, call });

/** Loads the 20 plugins from the example dirs (one per kind), warms each, and runs the calls. */
export async function runLoad(host: PluginHost, dirs: Record<Kind, string>): Promise<LoadRun> {
  const base = Object.fromEntries(await Promise.all(KINDS.map(async (k) => [k, await loadManifest(dirs[k])]))) as Record<Kind, PluginManifest>;
  const names: string[] = [];
  const counts = { wasm: 0, process: 0, native: 0 };
  for (let i = 0; i < PLUGINS; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const name = `${kind}-${counts[kind]++}`;
    names.push(name);
    await host.load({ ...base[kind], name });
  }
  // Warm every plugin once, so the run times calls, not first-call compilation.
  await Promise.all(names.map((plugin) => host.callTool(plugin, 'echo', {})));

  const settled = new Array<number>(CALLS).fill(0);
  let disturbances: Promise<PromiseSettledResult<unknown>[]> | undefined;
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: CALLS }, (_, call) => {
      if (call === CALLS / 2) disturbances = Promise.allSettled([host.callTool(CRASHER, 'crash', {}), host.reload(RELOADER)]);
      return host
        .callTool(expected(names, call).plugin, 'echo', expected(names, call))
        .then(
          (result): Outcome => ({ ok: true, value: resultValue(result) }),
          (error: Error): Outcome => ({ ok: false, error }),
        )
        .finally(() => settled[call]!++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const [crash, reload] = (await disturbances)!;
  return { names, outcomes, settled, crash: crash!, reload: reload!, seconds };
}

/** Answers carrying another caller's arguments: misrouted, or one answer given twice. */
export function misrouted({ names, outcomes }: LoadRun): { call: number; value: unknown }[] {
  return outcomes.flatMap((o, call) => (o.ok && JSON.stringify(o.value) !== JSON.stringify(expected(names, call)) ? [{ call, value: o.value }] : []));
}

/** Failed calls, with the plugin each went to and its error code. */
export function failures({ names, outcomes }: LoadRun): { plugin: string; code: string | undefined }[] {
  return outcomes.flatMap((o, call) => (o.ok ? [] : [{ plugin: names[call % PLUGINS]!, code: o.error.code }]));
}
