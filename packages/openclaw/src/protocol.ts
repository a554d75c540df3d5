/**
 * What the host side and the runner (the child process) agree on. The runner is a process plugin
 * whose `config` (sent in `initialize`) is a `RunnerConfig`; it reports back through `host/log`.
 */

/** The `initialize` config the driver sends the runner instead of the plugin's own config. */
export interface RunnerConfig {
  /** Absolute path of the OpenClaw plugin's entry file (`package.json` `openclaw.extensions[0]`). */
  entry: string;
  /** Absolute plugin directory. */
  dir: string;
  /** Manifest `id` (clawdesk's plugin name). */
  id: string;
  /** Manifest `name` (display name), else the id. */
  name: string;
  description: string;
  version: string;
  /** The host's config for the plugin, validated against `configSchema` with defaults applied. */
  pluginConfig: Record<string, unknown>;
  /**
   * How long to wait for a promise `register(api)` returns before serving what it registered so far
   * (OpenClaw does not wait at all). Part of the process driver's start budget.
   */
  registerWaitMs?: number;
}

/** OpenClaw API parts with no clawdesk counterpart: recorded, reported, never a crash. */
export type UnsupportedKind =
  | 'channel'
  | 'cli'
  | 'command'
  | 'context-engine'
  | 'gateway-method'
  | 'http-handler'
  | 'http-route'
  | 'interactive-handler'
  | 'provider'
  | 'speech-provider'
  | 'image-generation-provider'
  | 'media-understanding-provider'
  | 'web-search-provider'
  | 'memory-embedding-provider';

export interface UnsupportedRegistration {
  kind: UnsupportedKind;
  name: string;
}

/** `host/log` field carrying the unsupported registrations; the driver picks it up for `describe()`. */
export const UNSUPPORTED_LOG_FIELD = 'openclawUnsupported';

/** `openclaw/*` modules the runner provides, and the shim file (in `dist/child/shim/`) behind each. */
export const OPENCLAW_SHIM_MODULES: Readonly<Record<string, string>> = {
  'openclaw/plugin-sdk': 'plugin-sdk.js',
  'openclaw/plugin-sdk/core': 'core.js',
  'openclaw/plugin-sdk/plugin-entry': 'plugin-entry.js',
};
