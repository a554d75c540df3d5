import process from 'node:process';
// This module is also the `@clawdesk/plugin-sdk/serve` entry, which a plugin child loads alone:
// import only types here, never zod or define.ts/schema.ts (test/serve-entry.test.ts checks).
import type { DownloadResult, Logger, LogLevel, PluginCallContext, PluginModule, ToolResult } from '@clawdesk/sandbox';

/**
 * `serve(plugin)` makes a `PluginModule` a process plugin: it answers MCP over stdio
 * (newline-delimited JSON-RPC 2.0: `initialize`, `tools/list`, `tools/call`, `ping`,
 * `notifications/cancelled`) plus clawdesk's `clawdesk/hook`, and gives tools `ctx.log`
 * (`host/log`) and `ctx.browserDownload` (`host/browserDownload`). Runs on Node, Bun and Deno.
 * The wire format is the one `@clawdesk/sandbox-process` speaks; this side stays minimal on purpose.
 */

export interface ServeOptions {
  /** Where requests come from. Default `process.stdin`. */
  input?: NodeJS.ReadableStream;
  /** Where answers go. Default `process.stdout`. */
  output?: NodeJS.WritableStream;
  /** Send `console.log/info/debug/dir/table` to stderr so they cannot corrupt the protocol. Default: when `output` is `process.stdout`. */
  redirectConsole?: boolean;
  /** Exit the process when `input` ends (the host went away). Default: when `input` is `process.stdin`. */
  exitOnEnd?: boolean;
}

export interface ServeHandle {
  /** Settles when `input` ends or `close()` is called; in-flight tools are aborted then. */
  readonly closed: Promise<void>;
  close(): void;
}

type Id = string | number;
interface Message {
  id?: Id | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

const PROTOCOL_VERSION = '2025-06-18';
/** Characters of answers held for one write before they go out while a burst is still being answered. */
const EARLY_FLUSH_CHARS = 4096;
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;
const PARSE_ERROR = -32700;
const SERVER_ERROR = -32000;
const PERMISSION_DENIED = -32003;
const REQUEST_CANCELLED = -32800;

class WireError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** Node's permission model throws `ERR_ACCESS_DENIED`; Deno throws `NotCapable`. */
const isPermissionError = (e: unknown): e is Error & { permission?: string; resource?: string } =>
  e instanceof Error && ((e as { code?: unknown }).code === 'ERR_ACCESS_DENIED' || e.name === 'NotCapable');

const permissionDenied = (e: Error & { permission?: string; resource?: string }) =>
  new WireError(PERMISSION_DENIED, e.message, { code: 'PERMISSION_DENIED', permission: e.permission, resource: e.resource });

/** A tool that failed (threw or rejected) answers with an `isError` result, unless it was cancelled or denied. */
function toolFailure(error: unknown, ctx: PluginCallContext): ToolResult {
  if (isPermissionError(error)) throw permissionDenied(error);
  if (ctx.signal.aborted) throw error;
  return { content: [{ type: 'text', text: error instanceof Error ? error.message : String(error) }], isError: true };
}

function rethrowDenied(error: unknown): never {
  throw isPermissionError(error) ? permissionDenied(error) : error;
}

function toToolResult(value: unknown): ToolResult {
  if (typeof value === 'object' && value !== null && Array.isArray((value as ToolResult).content)) return value as ToolResult;
  return { content: [{ type: 'text', text: JSON.stringify(value ?? null) }], structuredContent: value ?? null };
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';

function redirectConsole(): void {
  const toStderr = (...args: unknown[]) => console.error(...args);
  for (const name of ['log', 'info', 'debug', 'dir', 'dirxml', 'table'] as const) console[name] = toStderr;
}

export function serve(plugin: PluginModule, options: ServeOptions = {}): ServeHandle {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  if (options.redirectConsole ?? output === process.stdout) redirectConsole();
  const exitOnEnd = options.exitOnEnd ?? input === process.stdin;

  let config: Readonly<Record<string, unknown>> = {};
  let dataDir = '';
  let nextId = 1;
  let buffer = '';
  const running = new Map<Id, AbortController>();
  const waiting = new Map<Id, { resolve(v: unknown): void; reject(e: Error): void }>();
  // Lines sent in one tick go out in one write once its microtasks have run: with many calls in
  // flight, a write (a syscall, a wake-up of the host) per answer is most of what a call costs here.
  let outgoing = '';
  const flush = () => {
    if (outgoing === '') return;
    const text = outgoing;
    outgoing = '';
    output.write(text);
  };
  // Each message is written with its `jsonrpc` first: no spread into a copy on every answer.
  const send = (message: Message & { jsonrpc: '2.0' }) => {
    if (outgoing === '') process.nextTick(flush);
    outgoing += `${JSON.stringify(message)}\n`;
    // A long burst goes out in slices, so the host starts on the first answers while later ones are made.
    if (outgoing.length >= EARLY_FLUSH_CHARS) flush();
  };
  // A tool that exits the process (process.exit, an uncaught throw) must not take answers already made with it.
  process.on('exit', flush);

  const log = Object.fromEntries(
    (['debug', 'info', 'warn', 'error'] as LogLevel[]).map((level) => [
      level,
      (message: string, fields?: Record<string, unknown>) => send({ jsonrpc: '2.0', method: 'host/log', params: { level, message, fields } }),
    ]),
  ) as unknown as Logger;

  const browserDownload = (url: string) =>
    new Promise<DownloadResult>((resolve, reject) => {
      const id = `plugin-${nextId++}`;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      send({ jsonrpc: '2.0', id, method: 'host/browserDownload', params: { url } });
    });

  /**
   * Answers one request. Synchronous unless the handler returns a promise: a tool that returns its
   * value at once is answered in the same tick, without the promise hops an async function costs.
   */
  function handle(method: string, params: Record<string, unknown>, ctx: PluginCallContext): unknown {
    switch (method) {
      case 'initialize': {
        const ours = (params.capabilities as { experimental?: { clawdesk?: { config?: Record<string, unknown>; dataDir?: string } } })
          ?.experimental?.clawdesk;
        config = ours?.config ?? {};
        dataDir = ours?.dataDir ?? '';
        return {
          protocolVersion: typeof params.protocolVersion === 'string' ? params.protocolVersion : PROTOCOL_VERSION,
          capabilities: { tools: {}, experimental: { clawdesk: { protocol: 1, hooks: Object.keys(plugin.hooks ?? {}) } } },
          serverInfo: { name: plugin.name ?? 'clawdesk-plugin', version: '0.0.0' },
        };
      }
      case 'ping':
        return {};
      case 'tools/list':
        return {
          tools: Object.entries(plugin.tools).map(([name, t]) => ({ name, description: t.description, inputSchema: t.inputSchema ?? { type: 'object' } })),
        };
      case 'tools/call': {
        const tool = Object.hasOwn(plugin.tools, String(params.name)) ? plugin.tools[String(params.name)] : undefined;
        if (!tool) throw new WireError(INVALID_PARAMS, `Unknown tool: ${String(params.name)}`);
        let value: unknown;
        try {
          value = tool.run(params.arguments ?? {}, ctx);
          if (!isThenable(value)) return toToolResult(value);
        } catch (error) {
          return toolFailure(error, ctx);
        }
        // A result that cannot be sent (not JSON-serializable) is the tool's failure too.
        return Promise.resolve(value)
          .then(toToolResult)
          .catch((error: unknown) => toolFailure(error, ctx));
      }
      case 'clawdesk/hook': {
        const hooks = plugin.hooks ?? {};
        const hook = Object.hasOwn(hooks, String(params.hook)) ? hooks[String(params.hook)] : undefined;
        if (!hook) throw new WireError(INVALID_PARAMS, `Unknown hook: ${String(params.hook)}`);
        let value: unknown;
        try {
          value = hook(params.payload, ctx);
        } catch (error) {
          return rethrowDenied(error);
        }
        return isThenable(value) ? Promise.resolve(value).then((v) => v ?? null, rethrowDenied) : (value ?? null);
      }
      default:
        throw new WireError(METHOD_NOT_FOUND, `Method not found: ${method}`);
    }
  }

  function answered(id: Id, controller: AbortController, result: unknown): void {
    running.delete(id);
    // Answer a cancelled request anyway, so the host knows the work has stopped.
    if (controller.signal.aborted) send({ jsonrpc: '2.0', id, error: { code: REQUEST_CANCELLED, message: 'Request cancelled' } });
    else send({ jsonrpc: '2.0', id, result: result ?? null });
  }

  function failed(id: Id, controller: AbortController, error: unknown): void {
    running.delete(id);
    const wire =
      error instanceof WireError
        ? { code: error.code, message: error.message, ...(error.data === undefined ? {} : { data: error.data }) }
        : controller.signal.aborted
          ? { code: REQUEST_CANCELLED, message: 'Request cancelled' }
          : { code: SERVER_ERROR, message: error instanceof Error ? error.message : String(error) };
    send({ jsonrpc: '2.0', id, error: wire });
  }

  function answer(id: Id, method: string, params: Record<string, unknown>): void {
    const controller = new AbortController();
    running.set(id, controller);
    let result: unknown;
    try {
      result = handle(method, params, { signal: controller.signal, log, config, dataDir, browserDownload });
    } catch (error) {
      return failed(id, controller, error);
    }
    if (!isThenable(result)) return answered(id, controller, result);
    Promise.resolve(result).then(
      (value) => answered(id, controller, value),
      (error: unknown) => failed(id, controller, error),
    );
  }

  function receive(line: string): void {
    if (line.trim() === '') return;
    let message: Message;
    try {
      message = JSON.parse(line) as Message;
    } catch {
      send({ jsonrpc: '2.0', id: null, error: { code: PARSE_ERROR, message: 'Parse error' } });
      return;
    }
    const params = message.params ?? {};
    if (typeof message.method === 'string' && message.id !== undefined && message.id !== null) {
      answer(message.id, message.method, params);
    } else if (message.method === 'notifications/cancelled') {
      running.get(params.requestId as Id)?.abort(params.reason ?? 'cancelled');
    } else if (message.method === undefined && message.id !== undefined && message.id !== null) {
      const waiter = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error) waiter?.reject(Object.assign(new Error(message.error.message), { code: message.error.code, data: message.error.data }));
      else waiter?.resolve(message.result);
    }
  }

  const onData = (chunk: string | Buffer) => {
    const lines = (buffer + chunk.toString()).split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) receive(line);
  };

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const close = () => {
    input.off('data', onData);
    input.off('end', close);
    flush();
    process.off('exit', flush);
    for (const controller of running.values()) controller.abort('the host closed the connection');
    for (const waiter of waiting.values()) waiter.reject(new Error('the host closed the connection'));
    waiting.clear();
    resolveClosed();
    if (exitOnEnd) process.exit(0);
  };

  // Decode as UTF-8 in the stream so a multi-byte character split across chunks survives.
  input.setEncoding('utf8');
  input.on('data', onData);
  input.on('end', close);
  return { closed, close };
}
