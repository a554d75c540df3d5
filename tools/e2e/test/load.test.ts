// Load through the host's public API: 1 000 concurrent calls over 20 plugins of all three drivers,
// while one process plugin crashes and one wasm plugin is hot-reloaded. Every call is answered
// exactly once, to its own caller; closing leaves no plugin process and no worker thread.
// bench/load.mjs runs the same scenario for calls/s; no timing is asserted here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHost, createNativeDriver } from '@clawdesk/host';
import { loadManifest, type PluginManifest } from '@clawdesk/manifest';
import { resultValue } from '@clawdesk/sandbox';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { createWasmDriver } from '@clawdesk/sandbox-wasm';
import { childProcessesMentioning, ECHO_DIR, eventually } from './process-support.js';
import { exampleDir } from './wasm-support.js';

const PLUGINS = 20;
const CALLS = 1_000;
const KINDS = ['wasm', 'process', 'native'] as const;
const DIRS = { wasm: exampleDir('wasm-conformance'), process: ECHO_DIR, native: exampleDir('native-echo') };
const CRASHER = 'process-1';
const RELOADER = 'wasm-0';

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error & { code?: string } };

test('1000 concurrent calls over 20 plugins, one crashing and one reloading: none lost, duplicated or misrouted; close leaves no process or thread', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'clawdesk-e2e-load-'));
  const wasm = createWasmDriver();
  const host = createHost({
    drivers: [wasm, createProcessDriver(), createNativeDriver()],
    hostVersion: '1.0.0',
    dataDir,
    restart: { initialDelayMs: 50, factor: 1, maxDelayMs: 50 },
  });
  const crashes: string[] = [];
  host.on('crash', (e) => crashes.push(e.plugin));
  try {
    const base = Object.fromEntries(await Promise.all(KINDS.map(async (k) => [k, await loadManifest(DIRS[k])]))) as Record<(typeof KINDS)[number], PluginManifest>;
    const names: string[] = [];
    const counts = { wasm: 0, process: 0, native: 0 };
    for (let i = 0; i < PLUGINS; i++) {
      const kind = KINDS[i % KINDS.length]!;
      const name = `${kind}-${counts[kind]++}`;
      names.push(name);
      await host.load({ ...base[kind], name });
    }
    expect(names).toContain(CRASHER);
    expect(names).toContain(RELOADER);

    // Every caller sends its own number and plugin; settling twice or with another's answer shows up below.
    // Halfway through sending, with every plugin's earlier calls still in flight: crash one plugin, reload another.
    const settled = new Array<number>(CALLS).fill(0);
    let disturbances: Promise<PromiseSettledResult<unknown>[]> | undefined;
    const calls = Array.from({ length: CALLS }, (_, call) => {
      if (call === CALLS / 2) disturbances = Promise.allSettled([host.callTool(CRASHER, 'crash', {}), host.reload(RELOADER)]);
      const plugin = names[call % PLUGINS]!;
      return host
        .callTool(plugin, 'echo', { plugin, call })
        .then(
          (result): Outcome => ({ ok: true, value: resultValue(result) }),
          (error: Error): Outcome => ({ ok: false, error }),
        )
        .finally(() => settled[call]!++);
    });
    const outcomes = await Promise.all(calls);
    const [crash, reload] = (await disturbances)!;

    expect(settled.every((n) => n === 1)).toBe(true); // 0 lost, none settled twice
    const wrong = outcomes.filter((o, call) => o.ok && JSON.stringify(o.value) !== JSON.stringify({ plugin: names[call % PLUGINS], call }));
    expect(wrong).toEqual([]); // 0 misrouted, 0 duplicated: each answer carries its own caller's arguments
    // Only calls to the crashing plugin may fail, and only because it crashed.
    const failed = outcomes.flatMap((o, call) => (o.ok ? [] : [{ plugin: names[call % PLUGINS], code: o.error.code }]));
    expect(failed.filter((f) => f.plugin !== CRASHER)).toEqual([]);
    expect(failed.every((f) => f.code === 'CRASHED')).toBe(true);
    expect(crash).toMatchObject({ status: 'rejected', reason: { code: 'CRASHED', plugin: CRASHER } });
    expect(reload).toMatchObject({ status: 'fulfilled', value: { name: RELOADER, state: 'active' } });
    expect(crashes).toEqual([CRASHER]);

    // Both are serving again afterwards.
    for (const plugin of [CRASHER, RELOADER]) {
      expect(resultValue(await host.callTool(plugin, 'echo', { plugin, after: true }))).toEqual({ plugin, after: true });
    }
  } finally {
    await host.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  expect(await eventually(() => childProcessesMentioning(ECHO_DIR).length === 0)).toBe(true);
  expect(wasm.threadIds()).toEqual([]);
  // Its spare worker too (booted ahead for the next load): close() disposes the host's drivers.
  expect(wasm.spareThreadIds()).toEqual([]);
});
