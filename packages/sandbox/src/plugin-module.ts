import type { DownloadResult, Logger, ToolResult } from './types.js';

/**
 * The in-process shape of a plugin written in JS/TS: what `@clawdesk/plugin-sdk`'s
 * `definePlugin` returns, what the native driver loads (default export), and what
 * the plugin-sdk's stdio `serve()` exposes over JSON-RPC. Types only.
 */
export interface PluginModule {
  name?: string;
  tools: Record<string, ModuleTool>;
  hooks?: Record<string, ModuleHook>;
}

export interface ModuleTool {
  description: string;
  /** JSON Schema of the arguments. */
  inputSchema?: Record<string, unknown>;
  /** Returns any JSON value (wrapped as text + structuredContent) or a full `ToolResult`. Throwing gives an `isError` result. */
  run(args: any, ctx: PluginCallContext): unknown;
}

export type ModuleHook = (payload: any, ctx: PluginCallContext) => unknown;

/** What a plugin's code sees during one tool call or hook. */
export interface PluginCallContext {
  /** Aborted when the host cancels the call or it times out. */
  signal: AbortSignal;
  log: Logger;
  config: Readonly<Record<string, unknown>>;
  dataDir: string;
  browserDownload(url: string): Promise<DownloadResult>;
}

export type { ToolResult };
