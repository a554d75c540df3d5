import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { FIXTURES_DIR, RUNTIME_BINARIES } from './plugins.js';

const HOST_SCRIPT = path.join(FIXTURES_DIR, '../support/host.mjs');
const dataDirs: string[] = [];

/** Removes the data dirs of every host started so far; call in afterAll, once the hosts have exited. */
export function removeHostDataDirs(): void {
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface HostRun {
  /** The host's first line: `{ pid, result }` or `{ pid, error }`. */
  report: { pid: number; result?: any; error?: { code: string; message: string } };
  host: ResultPromise;
}

/**
 * Starts test/support/host.mjs (the built driver in a separate Node process) with `env` as its
 * whole environment; it loads one fixture, makes one call, prints the outcome, then does `then`.
 */
export async function runHost(
  fixture: string,
  doc: Record<string, unknown>,
  call: { tool: string; args?: unknown },
  then: 'exit' | 'hang' | 'dispose',
  env: Record<string, string> = {},
  isolation?: 'off' | 'prefer' | 'require',
): Promise<HostRun> {
  const dir = path.join(FIXTURES_DIR, fixture);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'clawdesk-host-'));
  dataDirs.push(dataDir);
  const config = {
    dir,
    dataDir,
    doc: { name: fixture, version: '0.0.0', description: fixture, author: 'tests', sandbox: 'process', entry: './plugin.mjs', ...doc },
    runtimes: RUNTIME_BINARIES,
    ...(isolation ? { isolation } : {}),
    tool: call.tool,
    args: call.args ?? {},
    then,
  };
  const host = execa(process.execPath, [HOST_SCRIPT, JSON.stringify(config)], {
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    extendEnv: false,
    buffer: false,
    reject: false,
    stderr: 'inherit',
  });
  const lines = createInterface({ input: host.stdout });
  const [line] = (await Promise.race([once(lines, 'line'), host.then(() => [undefined])])) as [string | undefined];
  lines.close();
  if (line === undefined) throw new Error(`the test host exited without reporting (exit code ${(await host).exitCode})`);
  return { report: JSON.parse(line), host };
}
