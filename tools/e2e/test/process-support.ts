// Helpers for process.test.ts: a host with the process driver, the driver's fixtures as manifests,
// scratch plugin dirs inside the repo (so their imports resolve), and process checks.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, type CrashEvent, type HostEvents, type HostOptions, type LogEvent, type PluginHost } from '@clawdesk/host';
import { validateManifest, type PluginManifest } from '@clawdesk/manifest';
import { createProcessDriver, type ProcessDriverOptions } from '@clawdesk/sandbox-process';

export const E2E_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_ROOT = path.resolve(E2E_DIR, '../..');
export const FIXTURES_DIR = path.join(REPO_ROOT, 'packages/sandbox-process/test/fixtures');
export const ECHO_DIR = path.join(REPO_ROOT, 'examples/process-echo');
const BIN_DIR = path.join(REPO_ROOT, 'node_modules/.bin');
/** Scratch plugin dirs (git-ignored), see `scratchDir`. */
export const SCRATCH_ROOT = path.join(E2E_DIR, '.tmp');

/** bun and deno come from the root devDependencies, not from PATH. */
export const RUNTIMES = { bun: path.join(BIN_DIR, 'bun'), deno: path.join(BIN_DIR, 'deno') };

/** A manifest for the driver's fixture `packages/sandbox-process/test/fixtures/<name>/plugin.mjs`, validated like one read from disk. */
export function fixture(name: string, doc: Record<string, unknown> = {}): PluginManifest {
  const dir = path.join(FIXTURES_DIR, name);
  return validateManifest(
    {
      name,
      version: '0.0.0',
      description: `sandbox-process fixture ${name}`,
      author: 'clawdesk e2e',
      runtime: 'node',
      sandbox: 'process',
      entry: './plugin.mjs',
      capabilities: ['tool_call'],
      ...doc,
    },
    { file: path.join(dir, 'plugin.json5'), format: 'json5', dir },
  );
}

/** What a host did, as its events told it. */
export interface Recorded {
  logs: LogEvent[];
  crashes: CrashEvent[];
  restarts: { plugin: string; attempt: number }[];
  states: HostEvents['state'][0][];
}

export interface TestHost {
  host: PluginHost;
  events: Recorded;
  dataDir: string;
  /** Closes the host (idempotent) and removes its data dir. */
  close(): Promise<void>;
}

/** A host with only the process driver (bun/deno from node_modules/.bin), its own data dir, and every event recorded. */
export function processHost(
  options: { driver?: ProcessDriverOptions; host?: Partial<Omit<HostOptions, 'drivers' | 'dataDir'>> } = {},
): TestHost {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'clawdesk-e2e-process-'));
  const host = createHost({
    drivers: [createProcessDriver({ ...options.driver, runtimes: { ...RUNTIMES, ...options.driver?.runtimes } })],
    hostVersion: '1.0.0',
    dataDir,
    ...options.host,
  });
  const events: Recorded = { logs: [], crashes: [], restarts: [], states: [] };
  host.on('log', (e) => events.logs.push(e));
  host.on('crash', (e) => events.crashes.push(e));
  host.on('restart', (e) => events.restarts.push(e));
  host.on('state', (e) => events.states.push(e));
  return {
    host,
    events,
    dataDir,
    close: async () => {
      try {
        await host.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A scratch directory for plugin dirs, inside tools/e2e/.tmp (git-ignored): plugins written there
 * import their dependencies from the repo's node_modules, as a plugin inside an app would.
 */
export function scratchDir(prefix: string): { dir: string; remove(): void } {
  const root = SCRATCH_ROOT;
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(path.join(root, `${prefix}-`));
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      // Leave .tmp to whoever else uses it; remove it only when this was the last one.
      try {
        if (readdirSync(root).length === 0) rmSync(root, { recursive: true, force: true });
      } catch {
        // Someone else removed it first.
      }
    },
  };
}

/** Writes `<parent>/<name>/` with a plugin.json5 for examples/process-echo's code under another name. */
export function writeEchoPlugin(parent: string, name: string): string {
  const dir = path.join(parent, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(ECHO_DIR, 'index.mjs'), path.join(dir, 'index.mjs'));
  writeFileSync(
    path.join(dir, 'plugin.json5'),
    `{ name: '${name}', version: '1.0.0', description: 'echo copy', author: 'e2e', runtime: 'node', sandbox: 'process', entry: './index.mjs' }\n`,
  );
  return dir;
}

/** Whether a process with this pid exists (zombies excluded). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true;
  }
}

/** Pids of live (non-zombie) processes whose command line mentions `fragment`. */
export function processesMentioning(fragment: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(fragment) && isAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Plugin processes started by this (test) process whose command line mentions `fragment`: other test runs may use the same fixtures. */
export function childProcessesMentioning(fragment: string): number[] {
  return processesMentioning(fragment).filter((pid) => {
    try {
      return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === process.pid;
    } catch {
      return false;
    }
  });
}

/** Polls until `check()` holds or `ms` passes; returns whether it held. */
export async function eventually(check: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/** The rejection of `promise`, or a failure if it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
