import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostOptions, LogEvent, PluginHost } from '@clawdesk/host';
import { CliError } from './errors.js';

/** The example plugins shipped in this repository (the CLI runs from apps/demo/dist). */
export const bundledExamples = fileURLToPath(new URL('../../../examples', import.meta.url));

/** `dir` (must exist), else `./plugins` when it exists, else the bundled examples. */
export function pluginsDir(dir: string | undefined): string {
  if (dir) {
    const resolved = path.resolve(dir);
    if (!isDirectory(resolved)) throw new CliError('DIR_NOT_FOUND', `${resolved} is not a directory`);
    return resolved;
  }
  const local = path.resolve('plugins');
  return isDirectory(local) ? local : bundledExamples;
}

const isDirectory = (p: string) => existsSync(p) && statSync(p).isDirectory();

export interface HostSession {
  host: PluginHost;
  /** Warnings the host logged (driver limits, ignored registrations…), in order. */
  warnings: LogEvent[];
}

export interface OpenHostOptions extends Partial<Omit<HostOptions, 'dataDir' | 'pluginDirs'>> {
  dirs: string[];
  /** `--data-dir`; default a temp dir removed afterwards. */
  dataDir?: string | undefined;
}

/**
 * Runs `fn` with a host that has every driver this CLI ships, then closes the host and removes
 * the temp data dir it made (whatever `fn` did).
 */
export async function withHost<T>(opts: OpenHostOptions, fn: (session: HostSession) => Promise<T>): Promise<T> {
  const { dirs, dataDir: given, ...rest } = opts;
  // Loaded on demand: `--help`, `list` and `validate` start without the drivers.
  const [{ createHost, createNativeDriver }, { createOpenClawDriver }, { createProcessDriver }, { createWasmDriver }] = await Promise.all([
    import('@clawdesk/host'),
    import('@clawdesk/openclaw'),
    import('@clawdesk/sandbox-process'),
    import('@clawdesk/sandbox-wasm'),
  ]);
  const temp = given === undefined ? await mkdtemp(path.join(os.tmpdir(), 'clawdesk-')) : undefined;
  const host = createHost({
    // OpenClaw before the generic process driver: both run child processes, OpenClaw plugins need its runner.
    drivers: [createWasmDriver(), createOpenClawDriver(), createProcessDriver(), createNativeDriver()],
    hostVersion: '1.0.0',
    ...rest,
    dataDir: given ?? temp!,
    pluginDirs: dirs,
  });
  const warnings: LogEvent[] = [];
  host.on('log', (e) => {
    if (e.level === 'warn') warnings.push(e);
  });
  try {
    return await fn({ host, warnings });
  } finally {
    await host.close();
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

/** Loads `ref` — a plugin directory, or a name found in the host's plugin dirs — and returns its registered name. */
export async function loadOne(host: PluginHost, ref: string): Promise<string> {
  const entry = await host.load(looksLikePath(ref) ? path.resolve(ref) : ref);
  return entry.name;
}

// `inspect some-dir` works from inside the plugins dir too; a bare name otherwise goes to the resolver.
const looksLikePath = (ref: string) => ref.includes('/') || ref.includes(path.sep) || ref.startsWith('.') || isDirectory(ref);
