// Native driver rows: a tool call through the host vs calling the same plugin function directly.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHost, createNativeDriver } from '@clawdesk/host';
import { toToolResult } from '@clawdesk/sandbox';
import { round, timingRow, timeInterleaved } from './_stats.mjs';

const pluginDir = fileURLToPath(new URL('../examples/native-echo/', import.meta.url));

/** @returns {Promise<Array<Record<string, unknown>>>} */
export async function bench() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'clawdesk-bench-'));
  const host = createHost({ drivers: [createNativeDriver()], hostVersion: '1.0.0', dataDir });
  try {
    await host.load(pluginDir);
    // The same module the driver loaded, called the way an app without clawdesk would.
    const mod = (await import(pathToFileURL(path.join(pluginDir, 'index.js')).href)).default;
    const echo = mod.tools.echo;
    const ctx = { signal: new AbortController().signal, log: console, config: {}, dataDir, browserDownload: async () => { throw new Error('n/a'); } };
    const args = (i) => ({ text: 'hello', i });
    const stats = await timeInterleaved({
      direct: async (i) => toToolResult(await echo.run(args(i), ctx)),
      callTool: (i) => host.callTool('native-echo', 'echo', args(i)),
      call: (i) => host.call('native-echo.echo', args(i)),
    });
    const direct = stats.direct;
    const row = (name, s, note) => ({ suite: 'native', ...timingRow(name, s, direct, { note }) });
    return [
      row('echo: direct function call (baseline)', direct, 'tool.run() + toToolResult(), same module'),
      {
        ...row('echo: host.callTool (native driver)', stats.callTool, 'validation, timeout race, abort wiring, drain tracking'),
        figure: 'native.hostOverDirect',
        value: round(stats.callTool.p50Us / direct.p50Us),
        unit: '× direct p50',
      },
      row("echo: host.call('plugin.tool')", stats.call, 'plus registry name resolution'),
    ];
  } finally {
    await host.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
