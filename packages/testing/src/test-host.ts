import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHost, type CallToolOptions, type HostErrorEvent, type LogEvent, type PluginHost } from '@clawdesk/host';
import { loadManifest, type PluginManifest } from '@clawdesk/manifest';
import { resultValue, type SandboxDriver, type ToolResult } from '@clawdesk/sandbox';
import { driverFor } from './drivers.js';
import { TestingError, ToolErrorResult } from './errors.js';

export interface TestHostOptions {
  /** The plugin's configuration (`ctx.config`), as a host app would pass it. */
  config?: Record<string, unknown>;
  /** Where the plugin keeps its data; default a temp dir removed by `close()`. */
  dataDir?: string;
  /** The version of the app checked against the manifest's `requires`; default `1.0.0`. */
  hostVersion?: string;
  /** Run under these drivers instead of the one the manifest asks for (e.g. a driver with options). */
  drivers?: readonly SandboxDriver[];
}

export interface TestHost {
  /** The plugin's registered name. */
  readonly name: string;
  readonly manifest: PluginManifest;
  /** Every line the plugin logged (its logger and its stderr) and every host warning about it, in order. */
  readonly logs: LogEvent[];
  /** The host underneath, for anything this harness does not wrap. */
  readonly host: PluginHost;
  /** Calls a tool through the host's policies (argument validation, timeout) and returns the MCP result. */
  call(tool: string, args?: unknown, opts?: CallToolOptions): Promise<ToolResult>;
  /** Like `call`, but returns the tool's value, and rejects with `ToolErrorResult` when it answered `isError`. */
  callValue(tool: string, args?: unknown, opts?: CallToolOptions): Promise<unknown>;
  /** Delivers a hook to the plugin and returns its answer; a failing hook rejects with its error. */
  dispatch(hook: string, payload?: unknown, opts?: CallToolOptions): Promise<unknown>;
  /** Passes a message through the plugin's `message_transform` hook; an answer of null/undefined leaves it unchanged. */
  transform<T>(message: T, opts?: CallToolOptions): Promise<T>;
  /** Reloads the plugin from its directory (after the test rewrote a file, say). */
  reload(): Promise<void>;
  /** Stops the plugin and removes the temp data dir. Safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Loads the plugin in `pluginDir` under the driver a host app would use for it (native, process,
 * wasm or OpenClaw, from its manifest), ready to call. Close it in `afterEach`/`finally`.
 */
export async function createTestHost(pluginDir: string, opts: TestHostOptions = {}): Promise<TestHost> {
  const dir = path.resolve(pluginDir);
  const manifest = await loadManifest(dir);
  const drivers = opts.drivers ?? [await driverFor(manifest)];
  const temp = opts.dataDir === undefined ? await mkdtemp(path.join(os.tmpdir(), 'clawdesk-test-')) : undefined;
  const host = createHost({
    drivers,
    hostVersion: opts.hostVersion ?? '1.0.0',
    dataDir: opts.dataDir ?? temp!,
    ...(opts.config ? { config: (name: string) => (name === manifest.name ? opts.config : undefined) } : {}),
  });
  const logs: LogEvent[] = [];
  host.on('log', (e) => {
    if (e.plugin === undefined || e.plugin === manifest.name) logs.push(e);
  });
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      try {
        await host.close();
      } finally {
        if (temp) await rm(temp, { recursive: true, force: true });
      }
    })());
  let name: string;
  try {
    name = (await host.load(dir)).name;
  } catch (error) {
    await close();
    throw error;
  }
  const open = () => {
    if (closed) throw new TestingError('CLOSED', `the test host of plugin "${name}" is closed`);
  };
  const one = async (hook: string, payload: unknown, o?: CallToolOptions) => {
    open();
    // A test host holds one plugin: its outcome is the only one (none when it does not subscribe).
    const outcomes = await host.dispatch(hook, payload, o);
    const outcome = outcomes.find((x) => x.plugin === name);
    if (!outcome) return undefined;
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };
  return {
    name,
    manifest: host.get(name)!.manifest,
    logs,
    host,
    async call(tool, args = {}, o) {
      open();
      return host.callTool(name, tool, args, o);
    },
    async callValue(tool, args = {}, o) {
      open();
      const result = await host.callTool(name, tool, args, o);
      const value = resultValue(result);
      if (result.isError) throw new ToolErrorResult(name, tool, typeof value === 'string' ? value : JSON.stringify(value), result);
      return value;
    },
    dispatch: async (hook, payload, o) => one(hook, payload, o),
    async transform(message, o) {
      open();
      // The host's chain skips a failing transform (an 'error' event); a test wants to see the failure.
      let failure: Error | undefined;
      const onError = (e: HostErrorEvent) => {
        if (e.operation === 'transform' && e.plugin === name) failure ??= e.error;
      };
      host.on('error', onError);
      try {
        const next = await host.transformMessage(message, o);
        if (failure) throw failure;
        return next;
      } finally {
        host.off('error', onError);
      }
    },
    async reload() {
      open();
      await host.reload(name);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
