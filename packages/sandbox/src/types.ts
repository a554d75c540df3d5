import type { PluginManifest, SandboxKind, ToolDef } from '@clawdesk/manifest';

/** What a plugin's tool returns: the MCP `tools/call` result shape. */
export interface ToolResult {
  content: ToolContent[];
  /** Structured value when the plugin returned JSON (wasm, native, plugin-sdk). */
  structuredContent?: unknown;
  /** The plugin reported a tool-level failure (MCP `isError`). */
  isError?: boolean;
}

export type ToolContent =
  | { type: 'text'; text: string }
  | { type: 'image'; data: string; mimeType: string }
  | { type: 'resource'; resource: unknown }
  | { type: string; [key: string]: unknown };

/** What a running plugin says it offers. */
export interface PluginDescription {
  tools: ToolDef[];
  hooks: string[];
  /**
   * What the plugin registered that this host has no counterpart for (e.g. an OpenClaw plugin's
   * commands or gateway methods): ignored, and shown by `inspect` as "not supported".
   */
  unsupported?: { kind: string; name: string }[];
}

export interface CallOptions {
  /** Aborts the call; the driver rejects with `signal.reason` wrapped as a `CancelledError`. */
  signal: AbortSignal;
  /** Hard limit for this call. Past it the driver rejects with `TimeoutError` and recycles the sandbox if it can. */
  timeoutMs: number;
  /** Optional: told of the plugin's progress reports (MCP `notifications/progress`) while the call runs. */
  onProgress?: ((progress: ProgressReport) => void) | undefined;
}

/** One progress report of a running call, as MCP `notifications/progress` carries it. */
export interface ProgressReport {
  progress: number;
  total?: number;
  message?: string;
}

export type DispatchOptions = CallOptions;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = keyof Logger;

/** Result of the host's `browser_download` on behalf of a plugin. */
export interface DownloadResult {
  /** Absolute path of the downloaded file, inside the plugin's data dir. */
  path: string;
  bytes: number;
  sha256: string;
  contentType: string;
}

/** What the host gives one plugin instance: its host functions and its place on disk. */
export interface SandboxContext {
  /** The plugin's validated manifest. */
  readonly manifest: PluginManifest;
  /** Absolute, private, writable directory for this plugin. Exists before `instantiate` is called. */
  readonly dataDir: string;
  /** Plugin configuration from the host app (Extism `config`, OpenClaw `pluginConfig`). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Logger already scoped to this plugin. */
  readonly logger: Logger;
  /** Host-side download honouring the plugin's `browserCdn` rules and `network.allowedHosts`. */
  browserDownload(url: string, opts?: { signal?: AbortSignal }): Promise<DownloadResult>;
}

/** Why an instance stopped on its own. */
export interface ExitInfo {
  /** `crash`: died unexpectedly; `timeout`/`memory`: killed by the driver for a limit; `disposed`: we closed it. */
  reason: 'crash' | 'timeout' | 'memory' | 'disposed';
  code?: number | null;
  signal?: string | null;
  message?: string;
}

/** One running copy of one plugin. */
export interface SandboxInstance {
  describe(): Promise<PluginDescription>;
  callTool(name: string, args: unknown, opts: CallOptions): Promise<ToolResult>;
  /** Deliver a hook event; resolves to the plugin's answer (used by message transforms). */
  dispatch(hook: string, payload: unknown, opts: DispatchOptions): Promise<unknown>;
  /** Frees everything: threads, children, fds. Idempotent. Rejects in-flight calls with `DisposedError`. */
  dispose(): Promise<void>;
  /** Called once when the instance ends for any reason other than `dispose()`. Returns an unsubscribe function. */
  onExit(listener: (info: ExitInfo) => void): () => void;
  /**
   * Optional: called when what `describe()` returns changed while running (an MCP server sent
   * `notifications/tools/list_changed` and was listed again). The host updates its registry and
   * argument validators from it. Returns an unsubscribe function.
   */
  onDescriptionChange?(listener: (description: PluginDescription) => void): () => void;
}

/** The permissions a driver reports on, in the order `inspect` shows them. */
export type PermissionName = 'network' | 'fsRead' | 'fsWrite' | 'env' | 'memory' | 'timeout';

/**
 * How well a driver enforces each permission of a manifest *on this machine*; shown by `inspect`
 * and warned at load. `reasons` says why a permission is not `enforced` (no user namespaces,
 * Windows, a runtime without a permission model, …) and, for `enforced`, which layer does it.
 */
export interface PermissionReport {
  network: Enforcement;
  fsRead: Enforcement;
  fsWrite: Enforcement;
  env: Enforcement;
  memory: Enforcement;
  timeout: Enforcement;
  reasons?: Partial<Record<PermissionName, string>>;
}

export type Enforcement = 'enforced' | 'partial' | 'not-enforced';

export interface SandboxDriver {
  readonly kind: SandboxKind;
  /** npm package that provides the driver, for error messages ("install @clawdesk/sandbox-wasm"). */
  readonly packageName: string;
  supports(manifest: PluginManifest): boolean;
  /** What this driver can and cannot enforce for this manifest. */
  enforcement(manifest: PluginManifest): PermissionReport;
  instantiate(manifest: PluginManifest, ctx: SandboxContext, opts?: InstantiateOptions): Promise<SandboxInstance>;
  /**
   * Optional: releases what the driver keeps beyond its instances (a spare worker, a helper
   * process), resolving once it is gone. Instances keep running and later `instantiate()` calls
   * still work; a host's `close()` calls it on each of its drivers, after unloading its plugins.
   */
  dispose?(): Promise<void>;
}

export interface InstantiateOptions {
  /** Aborted when the host gives up on the start (its start deadline, or it is closing). */
  signal?: AbortSignal;
  /**
   * Time for spawn + handshake + describe, separate from each call's `timeoutMs`. The host passes
   * the manifest's `startTimeoutMs` or its own default; a driver used alone falls back to its option.
   */
  startTimeoutMs?: number;
}
