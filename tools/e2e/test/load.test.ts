// Load through the host's public API (the scenario is load-scenario.ts): 1 000 concurrent calls over
// 20 plugins of all three drivers, while one process plugin crashes and one wasm plugin is
// hot-reloaded. Every call is answered exactly once, to its own caller; closing leaves no plugin
// process and no worker thread. bench/load.mjs runs the same scenario for calls/s; no timing is asserted here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHost, createNativeDriver } from '@clawdesk/host';
import { resultValue } from '@clawdesk/sandbox';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { createWasmDriver } from '@clawdesk/sandbox-wasm';
import { CRASHER, failures, misrouted, RELOADER, runLoad } from './load-scenario.js';
import { childProcessesMentioning, ECHO_DIR, eventually } from './process-support.js';
import { exampleDir } from './wasm-support.js';

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
    const run = await runLoad(host, { wasm: exampleDir('wasm-conformance'), process: ECHO_DIR, native: exampleDir('native-echo') });
    expect(run.names).toContain(CRASHER);
    expect(run.names).toContain(RELOADER);

    expect(run.settled.every((n) => n === 1)).toBe(true); // 0 lost, none settled twice
    expect(misrouted(run)).toEqual([]); // 0 misrouted, 0 duplicated: each answer carries its own caller's arguments
    // Only calls to the crashing plugin may fail, and only because it crashed.
    const failed = failures(run);
    expect(failed.filter((f) => f.plugin !== CRASHER)).toEqual([]);
    expect(failed.every((f) => f.code === 'CRASHED')).toBe(true);
    expect(run.crash).toMatchObject({ status: 'rejected', reason: { code: 'CRASHED', plugin: CRASHER } });
    expect(run.reload).toMatchObject({ status: 'fulfilled', value: { name: RELOADER, state: 'active' } });
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
