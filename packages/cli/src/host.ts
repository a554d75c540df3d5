import { existsSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { HostOptions, LogEvent, PluginHost } from '@clawdesk/host';
import { driverSettings, loadHostConfig } from './config.js';
import { CliError } from './errors.js';
import { createTempDataDir } from './temp-data-dir.js';

/**
 * The plugins directory to read: `dir` (must exist), else `./plugins` when it exists, else the host
 * app's `fallback` (bundled plugins), else a `NO_PLUGINS_DIR` error saying what to pass.
 */
export function pluginsDir(dir: string | undefined, fallback?: string): string {
  if (dir) {
    const resolved = path.resolve(dir);
    if (!isDirectory(resolved)) throw new CliError('DIR_NOT_FOUND', `${resolved} is not a directory`);
    return resolved;
  }
  const local = path.resolve('plugins');
  if (isDirectory(local)) return local;
  if (fallback) return fallback;
  throw new CliError('NO_PLUGINS_DIR', `there is no plugins directory: ${local} does not exist; pass --dir <dir>`);
}

/**
 * The dirs a host searches for `ref`: a path needs none (so `inspect ./node_modules/x` works anywhere),
 * a bare name needs the plugins directory.
 */
export function lookupDirs(ref: string, dir: string | undefined, fallback?: string): string[] {
  if (looksLikePath(ref) && !dir) {
    try {
      return [pluginsDir(undefined, fallback)];
    } catch {
      return [];
    }
  }
  return [pluginsDir(dir, fallback)];
}

/**
 * Where `install` writes: `dir` (created when missing), else `./plugins` in the working directory
 * (created when missing) — never a host app's bundled plugins or the CLI's own package.
 */
export async function installDir(dir: string | undefined): Promise<string> {
  const target = path.resolve(dir ?? 'plugins');
  if (existsSync(target) && !isDirectory(target)) throw new CliError('DIR_NOT_FOUND', `${target} exists and is not a directory`);
  await mkdir(target, { recursive: true });
  return target;
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
  /** `--config`; default `./clawdesk.config.json5` when it exists. */
  configFile?: string | undefined;
}

/**
 * Runs `fn` with a host that has every driver this CLI ships, then closes the host and removes
 * the temp data dir it made (whatever `fn` did).
 */
export async function withHost<T>(opts: OpenHostOptions, fn: (session: HostSession) => Promise<T>): Promise<T> {
  const { host, dispose, warnings } = await openHost(opts);
  try {
    return await fn({ host, warnings });
  } finally {
    await dispose();
  }
}

/** A host with every driver this CLI ships; `dispose()` closes it and removes the temp data dir it made. */
export async function openHost(opts: OpenHostOptions): Promise<HostSession & { dispose(): Promise<void> }> {
  const { dirs, dataDir: given, configFile, ...rest } = opts;
  const settings = driverSettings(await loadHostConfig(configFile));
  // Loaded on demand: `--help`, `list` and `validate` start without the drivers.
  const [{ createHost, createNativeDriver }, { createOpenClawDriver }, { createProcessDriver }, { createWasmDriver }, { createRemoteDriver }] = await Promise.all([
    import('@clawdesk/host'),
    import('@clawdesk/openclaw'),
    import('@clawdesk/sandbox-process'),
    import('@clawdesk/sandbox-wasm'),
    import('@clawdesk/mcp'),
  ]);
  const temp = given === undefined ? await createTempDataDir() : undefined;
  const host = createHost({
    // OpenClaw before the generic process driver: both run child processes, OpenClaw plugins need its runner.
    drivers: [
      createWasmDriver(),
      createOpenClawDriver({ permissions: settings.permissions }),
      createProcessDriver({ permissions: settings.permissions, env: settings.env }),
      createRemoteDriver({ headers: settings.headers, allowedHosts: settings.allowedHosts }),
      createNativeDriver(),
    ],
    hostVersion: '1.0.0',
    config: settings.config,
    ...rest,
    dataDir: given ?? temp!,
    pluginDirs: dirs,
  });
  const warnings: LogEvent[] = [];
  host.on('log', (e) => {
    if (e.level === 'warn') warnings.push(e);
  });
  return {
    host,
    warnings,
    async dispose() {
      try {
        await host.close();
      } finally {
        if (temp) await rm(temp, { recursive: true, force: true });
      }
    },
  };
}

/** Loads `ref` — a plugin directory, or a name found in the host's plugin dirs — and returns its registered name. */
export async function loadOne(host: PluginHost, ref: string): Promise<string> {
  const entry = await host.load(looksLikePath(ref) ? path.resolve(ref) : ref);
  return entry.name;
}

// `inspect some-dir` works from inside the plugins dir too; a bare name otherwise goes to the resolver.
const looksLikePath = (ref: string) => ref.includes('/') || ref.includes(path.sep) || ref.startsWith('.') || isDirectory(ref);
