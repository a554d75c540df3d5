/** @clawdesk/host — every export here is public API. */
// First, before any dependency loads: on a Node too old for clawdesk this throws UnsupportedNodeError.
import '@clawdesk/sandbox/require-node';
export { createHost } from './host.js';
export type { CallToolOptions } from './race.js';
export type {
  ChannelHandle,
  CrashEvent,
  HookOutcome,
  HostErrorEvent,
  HostEvents,
  HostOperation,
  LoadAllResult,
  LoadOptions,
  LoadProblem,
  PluginHost,
  PluginInspection,
  ReloadOptions,
} from './host.js';

export { DEFAULT_DRAIN_TIMEOUT_MS } from './options.js';
export { DEFAULT_START_TIMEOUT_MS } from './start.js';
export type { HostOptions } from './options.js';

export { createNativeDriver } from './native/driver.js';

export { DEFAULT_RESTART_POLICY } from './restart.js';
export type { RestartPolicy } from './restart.js';

export { DEFAULT_DOWNLOAD_POLICY } from './download.js';
export type { DownloadPolicy } from './download.js';

export { silentLogger } from './logger.js';
export type { LogEvent } from './logger.js';

export { DEFAULT_DEBOUNCE_MS } from './watch.js';
export type { PluginWatcher, WatchOptions } from './watch.js';

export type { InstalledEvent, InstallOptions, InstallPhase, InstallProgress } from './install.js';

export {
  ChannelNotFoundError,
  DRIVER_PACKAGES,
  DownloadFailedError,
  DriverMissingError,
  HostClosedError,
  HostError,
  IncompatibleHostError,
  InstallError,
  InvalidOptionsError,
  NotActiveError,
  PluginCallError,
  PluginNotFoundInDirsError,
} from './errors.js';
export type { CallSite, HostErrorCode, HostErrorOptions, InstallErrorCode } from './errors.js';
