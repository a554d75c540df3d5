import type { PluginManifest, ToolDef } from '@clawdesk/manifest';
import {
  CancelledError,
  CrashedError,
  DisposedError,
  LoadFailedError,
  TimeoutError,
  ToolError,
  ToolNotFoundError,
  type CallOptions,
  type ExitInfo,
  type PinnedAddress,
  type PluginDescription,
  type SandboxContext,
  type ToolResult,
} from '@clawdesk/sandbox';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResultSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { RemoteUnreachableError } from './errors.js';
import { remoteFetch, type RemoteFetch } from './fetch.js';
import { reconcileTools } from './tools.js';

/** Longer than any call limit we set ourselves: our own timer decides, not the SDK's default 60 s. */
const SDK_TIMEOUT_MS = 2 ** 31 - 1;
/** How long `dispose()` waits for the server to acknowledge the end of the session (DELETE). */
const GOODBYE_MS = 1_000;
/** Pages of `tools/list` read at most (a server looping its cursor cannot hold the start forever). */
const MAX_PAGES = 100;

const CLIENT_INFO = { name: 'clawdesk', version: '0.0.0' };

/** Why a call's signal was aborted by us. */
type Stop = { kind: 'timeout' } | { kind: 'cancel'; reason: unknown } | { kind: 'disposed' } | { kind: 'lost'; error: unknown };

export interface RemoteStart {
  manifest: PluginManifest;
  ctx: SandboxContext;
  url: URL;
  pinned: PinnedAddress;
  headers: Record<string, string>;
  startTimeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** One MCP session with a remote server over Streamable HTTP, through the official SDK client. */
export class RemoteInstance {
  readonly #manifest: PluginManifest;
  readonly #ctx: SandboxContext;
  readonly #url: string;
  readonly #where: { plugin: string; driver: string };
  readonly #client: Client;
  readonly #transport: StreamableHTTPClientTransport;
  readonly #fetch: RemoteFetch;
  #tools = new Map<string, ToolDef>();
  #hooks: string[] = [];
  #state: 'starting' | 'ready' | 'lost' | 'disposed' = 'starting';
  readonly #inFlight = new Set<AbortController>();
  readonly #exitListeners = new Set<(info: ExitInfo) => void>();
  readonly #descriptionListeners = new Set<(d: PluginDescription) => void>();
  #relisting: Promise<void> | undefined;
  #relistAgain = false;
  #disposing: Promise<void> | undefined;

  private constructor(s: RemoteStart) {
    this.#manifest = s.manifest;
    this.#ctx = s.ctx;
    this.#url = s.url.href;
    this.#where = { plugin: s.manifest.name, driver: 'remote' };
    this.#fetch = remoteFetch(s.pinned, s.url.protocol === 'https:', (error) => this.#lost(error));
    this.#transport = new StreamableHTTPClientTransport(s.url, {
      fetch: this.#fetch.fetch,
      requestInit: { headers: s.headers },
      // A broken stream is a lost server here (the host restarts with backoff), not something to resume.
      reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
    });
    // No roots, sampling or elicitation: the SDK answers such requests with "method not found" at once.
    this.#client = new Client(CLIENT_INFO, { capabilities: {} });
    this.#client.setNotificationHandler(ToolListChangedNotificationSchema, () => void this.#relist());
  }

  /** Connects, runs `initialize` and lists the tools within `startTimeoutMs` (or until `signal`). */
  static async start(s: RemoteStart): Promise<RemoteInstance> {
    const instance = new RemoteInstance(s);
    const deadline = AbortSignal.timeout(s.startTimeoutMs);
    const signal = s.signal ? AbortSignal.any([s.signal, deadline]) : deadline;
    let lostError: unknown;
    instance.#onLostDuringStart = (error) => (lostError ??= error);
    try {
      await instance.#client.connect(instance.#transport, { signal, timeout: s.startTimeoutMs });
      instance.#tools = await instance.#listTools(signal);
      const experimental = instance.#client.getServerCapabilities()?.experimental as { clawdesk?: { hooks?: unknown } } | undefined;
      const hooks = experimental?.clawdesk?.hooks;
      instance.#hooks = Array.isArray(hooks) ? hooks.filter((h): h is string => typeof h === 'string') : [];
    } catch (error) {
      await instance.#close();
      const plugin = s.manifest.name;
      if (s.signal?.aborted) throw new CancelledError({ ...instance.#where, reason: s.signal.reason });
      if (deadline.aborted) throw new RemoteUnreachableError(plugin, instance.#url, `no answer within ${s.startTimeoutMs} ms`, error);
      if (lostError !== undefined) throw new RemoteUnreachableError(plugin, instance.#url, reasonOf(lostError), lostError);
      if (error instanceof LoadFailedError) throw error;
      throw new LoadFailedError(`its MCP server at ${instance.#url} failed the handshake: ${reasonOf(error)}`, { ...instance.#where, cause: error, data: { url: instance.#url } });
    } finally {
      instance.#onLostDuringStart = undefined;
    }
    instance.#state = 'ready';
    return instance;
  }

  #onLostDuringStart: ((error: unknown) => void) | undefined;

  async describe(): Promise<PluginDescription> {
    return { tools: [...this.#tools.values()].map((t) => ({ ...t })), hooks: [...this.#hooks] };
  }

  async callTool(name: string, args: unknown, opts: CallOptions): Promise<ToolResult> {
    const where = { ...this.#where, tool: name };
    this.#assertUsable(where);
    if (!this.#tools.has(name)) throw new ToolNotFoundError(name, { ...where, available: [...this.#tools.keys()] });
    const result = await this.#request(where, opts, (signal) =>
      this.#client.callTool({ name, arguments: (args ?? {}) as Record<string, unknown> }, undefined, {
        signal,
        timeout: SDK_TIMEOUT_MS,
        // The SDK sends a progressToken only when asked; reports then reach the caller.
        ...(opts.onProgress && { onprogress: ({ progress, total, message }) => opts.onProgress?.({ progress, ...(total !== undefined && { total }), ...(message !== undefined && { message }) }) }),
      }),
    );
    return toToolResult(result as Record<string, unknown>);
  }

  /** A hook, as the process protocol carries it: request `clawdesk/hook` `{ hook, payload }`, the result is the answer. */
  async dispatch(hook: string, payload: unknown, opts: CallOptions): Promise<unknown> {
    const where = { ...this.#where, data: { hook } };
    this.#assertUsable(where);
    const result = await this.#request(where, opts, (signal) =>
      this.#client.request({ method: 'clawdesk/hook', params: { hook, payload: payload ?? null } }, ResultSchema, { signal, timeout: SDK_TIMEOUT_MS }),
    );
    return result;
  }

  onExit(listener: (info: ExitInfo) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  /** Called after the server sent `notifications/tools/list_changed` and was listed again. */
  onDescriptionChange(listener: (description: PluginDescription) => void): () => void {
    this.#descriptionListeners.add(listener);
    return () => this.#descriptionListeners.delete(listener);
  }

  dispose(): Promise<void> {
    if (this.#disposing) return this.#disposing;
    const wasReady = this.#state === 'ready';
    this.#state = 'disposed';
    this.#stopAll({ kind: 'disposed' });
    this.#disposing = (async () => {
      // Tell the server the session is over (DELETE), briefly: a dead server must not hold dispose.
      if (wasReady) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.#transport.terminateSession().catch(() => {}),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, GOODBYE_MS))),
        ]);
        clearTimeout(timer);
      }
      await this.#close();
    })();
    return this.#disposing;
  }

  #assertUsable(where: { plugin: string; driver: string; tool?: string }): void {
    if (this.#state === 'disposed') throw new DisposedError(where);
    if (this.#state === 'lost') throw new CrashedError(`the connection to ${this.#url} was lost`, { ...where, data: { url: this.#url } });
  }

  /** One request under the call's limit and signal; our stop reason decides the error. */
  async #request<T>(where: { plugin: string; driver: string; tool?: string }, opts: CallOptions, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (opts.signal.aborted) throw new CancelledError({ ...where, reason: opts.signal.reason });
    const controller = new AbortController();
    const stop = (s: Stop) => controller.abort(s);
    const timer = setTimeout(() => stop({ kind: 'timeout' }), opts.timeoutMs);
    const onAbort = () => stop({ kind: 'cancel', reason: opts.signal.reason });
    opts.signal.addEventListener('abort', onAbort, { once: true });
    this.#inFlight.add(controller);
    const started = performance.now();
    try {
      return await send(controller.signal);
    } catch (error) {
      const s = controller.signal.aborted ? (controller.signal.reason as Stop) : undefined;
      if (s?.kind === 'timeout') throw new TimeoutError(opts.timeoutMs, { ...where, elapsedMs: Math.round(performance.now() - started) });
      if (s?.kind === 'cancel') throw new CancelledError({ ...where, reason: s.reason });
      // The first stop wins: the host disposes a lost instance while its calls are still settling.
      if (s?.kind === 'lost' || (!s && this.#state === 'lost')) {
        throw new CrashedError(`the connection to ${this.#url} was lost (${reasonOf(s?.kind === 'lost' ? s.error : error)})`, { ...where, cause: error, data: { url: this.#url } });
      }
      if (s?.kind === 'disposed' || this.#state === 'disposed') throw new DisposedError(where);
      // A JSON-RPC error from the server (unknown tool on its side, invalid params, its own failure).
      throw new ToolError(reasonOf(error), { ...where, cause: error, data: { ...(typeof (error as { code?: unknown }).code === 'number' ? { rpcCode: (error as { code: number }).code } : {}) } });
    } finally {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      this.#inFlight.delete(controller);
    }
  }

  #stopAll(s: Stop): void {
    for (const c of [...this.#inFlight]) c.abort(s);
  }

  /** The server went away (refused, reset, a stream broke): calls fail CRASHED, `onExit` fires once. */
  #lost(error: unknown): void {
    if (this.#state === 'starting') return this.#onLostDuringStart?.(error);
    if (this.#state !== 'ready') return;
    this.#state = 'lost';
    this.#stopAll({ kind: 'lost', error });
    void this.#close();
    const info: ExitInfo = { reason: 'crash', message: `the connection to ${this.#url} was lost: ${reasonOf(error)}` };
    for (const listener of [...this.#exitListeners]) {
      try {
        listener(info);
      } catch (e) {
        this.#ctx.logger.error('onExit listener threw', { error: String(e) });
      }
    }
  }

  async #close(): Promise<void> {
    try {
      await this.#client.close();
    } catch {
      // Closing a transport that never started, or one already closed.
    } finally {
      this.#fetch.destroy();
    }
  }

  async #listTools(signal: AbortSignal): Promise<Map<string, ToolDef>> {
    const offered: ToolDef[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await this.#client.listTools(cursor === undefined ? {} : { cursor }, { signal, timeout: SDK_TIMEOUT_MS });
      for (const t of result.tools) {
        offered.push({
          name: t.name,
          description: t.description ?? '',
          ...(t.inputSchema ? { inputSchema: t.inputSchema as Record<string, unknown> } : {}),
          ...(t.outputSchema ? { outputSchema: t.outputSchema as Record<string, unknown> } : {}),
        });
      }
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    return new Map(reconcileTools(this.#manifest, offered, this.#where).map((t) => [t.name, t]));
  }

  /** `tools/list` again after `list_changed`; a burst of notifications during one listing costs one more. */
  #relist(): Promise<void> {
    if (this.#relisting) {
      this.#relistAgain = true;
      return this.#relisting;
    }
    this.#relisting = (async () => {
      do {
        this.#relistAgain = false;
        if (this.#state !== 'ready') break;
        try {
          const tools = await this.#listTools(AbortSignal.timeout(this.#manifest.timeoutMs));
          if (this.#state !== 'ready') break;
          this.#tools = tools;
          const description = await this.describe();
          for (const listener of [...this.#descriptionListeners]) {
            try {
              listener(description);
            } catch (error) {
              this.#ctx.logger.error('onDescriptionChange listener threw', { error: String(error) });
            }
          }
        } catch (error) {
          this.#ctx.logger.warn('re-listing tools after tools/list_changed failed; keeping the previous list', { error: reasonOf(error) });
        }
      } while (this.#relistAgain);
      this.#relisting = undefined;
    })();
    return this.#relisting;
  }
}

function toToolResult(r: Record<string, unknown>): ToolResult {
  // Old servers may answer with `toolResult` (2024-10-07): carried as structured content.
  const content = Array.isArray(r.content) ? (r.content as ToolResult['content']) : [];
  return {
    content,
    ...(r.structuredContent !== undefined ? { structuredContent: r.structuredContent } : r.toolResult !== undefined ? { structuredContent: r.toolResult } : {}),
    ...(r.isError === true ? { isError: true } : {}),
  };
}

function reasonOf(error: unknown): string {
  const e = error as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  const cause = e?.cause && typeof e.cause === 'object' ? e.cause : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
