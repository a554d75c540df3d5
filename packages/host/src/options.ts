import path from 'node:path';
import type { PluginRegistry } from '@clawdesk/registry';
import type { Logger, SandboxDriver } from '@clawdesk/sandbox';
import semver from 'semver';
import { DEFAULT_DOWNLOAD_POLICY, type DownloadPolicy } from './download.js';
import { InvalidOptionsError } from './errors.js';
import { silentLogger } from './logger.js';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from './restart.js';
import { DEFAULT_START_TIMEOUT_MS } from './start.js';

export interface HostOptions {
  /**
   * The sandbox drivers this app supports, e.g. `[createNativeDriver(), createProcessDriver()]`.
   * The host imports no driver: a plugin whose sandbox no given driver supports fails to load
   * with `DRIVER_MISSING` naming the package to install. Native is opt-in like the others.
   */
  drivers: readonly SandboxDriver[];
  /** This app's version, checked against each manifest's `requires` range. */
  hostVersion: string;
  /** Root of the plugins' private data dirs: `<dataDir>/<plugin>/` (downloads in `downloads/`). */
  dataDir: string;
  /** Default: a silent logger. Every line is also a 'log' event. */
  logger?: Logger;
  /** Bring your own registry (e.g. to observe it before the host starts); default a new one. */
  registry?: PluginRegistry;
  /** Directories searched by `resolve(name)` / `load(name)` / `loadAll()`. */
  pluginDirs?: readonly string[];
  /** Crash restart policy; defaults in `DEFAULT_RESTART_POLICY`. */
  restart?: Partial<RestartPolicy>;
  /** `browserDownload` limits; defaults in `DEFAULT_DOWNLOAD_POLICY`. */
  download?: Partial<DownloadPolicy>;
  /** Per-plugin configuration handed to the plugin as `ctx.config`. */
  config?: (plugin: string) => Record<string, unknown> | undefined;
  /**
   * How long stop/unload/close (and a reload's old version) wait for in-flight calls before
   * disposing anyway; calls still running then reject with `DISPOSED`. Default 5000 ms.
   */
  drainTimeoutMs?: number;
  /**
   * Time a plugin has to start (spawn + handshake + describe) when its manifest sets no
   * `startTimeoutMs`; separate from each call's `timeoutMs`. Default 15000 ms.
   */
  startTimeoutMs?: number;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 5000;

/** Options with every default filled in and every value checked, once. */
export interface ResolvedOptions {
  drivers: readonly SandboxDriver[];
  hostVersion: string;
  dataDir: string;
  logger: Logger;
  registry: PluginRegistry | undefined;
  pluginDirs: readonly string[];
  restart: RestartPolicy;
  download: DownloadPolicy;
  config: (plugin: string) => Record<string, unknown> | undefined;
  drainTimeoutMs: number;
  /** Undefined when createHost was given none: each driver's own start limit then applies, within the host's default. */
  startTimeoutMs: number | undefined;
}

export function resolveOptions(o: HostOptions): ResolvedOptions {
  if (!Array.isArray(o?.drivers)) throw new InvalidOptionsError('drivers', 'an array of SandboxDriver', o?.drivers);
  o.drivers.forEach((d, i) => {
    if (typeof d?.supports !== 'function' || typeof d.instantiate !== 'function') {
      throw new InvalidOptionsError(`drivers[${i}]`, 'a SandboxDriver (kind, supports, enforcement, instantiate)', d);
    }
  });
  if (typeof o.hostVersion !== 'string' || !semver.valid(o.hostVersion)) {
    throw new InvalidOptionsError('hostVersion', 'a semver version such as "1.2.3"', o.hostVersion);
  }
  if (typeof o.dataDir !== 'string' || o.dataDir === '') throw new InvalidOptionsError('dataDir', 'a directory path', o.dataDir);
  const restart = { ...DEFAULT_RESTART_POLICY, ...o.restart };
  checkNumber('restart.initialDelayMs', restart.initialDelayMs, 0);
  checkNumber('restart.factor', restart.factor, 1);
  checkNumber('restart.maxDelayMs', restart.maxDelayMs, 0);
  checkNumber('restart.maxCrashes', restart.maxCrashes, 1);
  checkNumber('restart.windowMs', restart.windowMs, 1);
  const download = { ...DEFAULT_DOWNLOAD_POLICY, ...o.download };
  checkNumber('download.maxBytes', download.maxBytes, 0);
  checkNumber('download.maxRedirects', download.maxRedirects, 0);
  checkNumber('download.timeoutMs', download.timeoutMs, 1);
  checkNumber('download.maxTotalBytes', download.maxTotalBytes, 0);
  const drainTimeoutMs = o.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  checkNumber('drainTimeoutMs', drainTimeoutMs, 0);
  const startTimeoutMs = o.startTimeoutMs;
  if (startTimeoutMs !== undefined) {
    checkNumber('startTimeoutMs', startTimeoutMs, 1);
    if (startTimeoutMs > 2 ** 31 - 1) throw new InvalidOptionsError('startTimeoutMs', 'at most 2147483647 ms', startTimeoutMs);
  }
  return {
    drivers: [...o.drivers],
    hostVersion: o.hostVersion,
    dataDir: path.resolve(o.dataDir),
    logger: o.logger ?? silentLogger,
    registry: o.registry,
    pluginDirs: (o.pluginDirs ?? []).map((d) => path.resolve(d)),
    restart,
    download,
    config: o.config ?? (() => undefined),
    drainTimeoutMs,
    startTimeoutMs,
  };
}

function checkNumber(option: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionsError(option, `a finite number >= ${min}`, value);
  }
}
