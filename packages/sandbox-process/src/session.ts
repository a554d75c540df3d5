import { once } from 'node:events';
import type { ProgressReport, SandboxContext } from '@clawdesk/sandbox';
import { LineReader, LineTooLongError } from './jsonrpc/line-reader.js';
import { LineWriter } from './jsonrpc/line-writer.js';
import { MalformedResponseError, RpcError, RpcErrorCode } from './jsonrpc/messages.js';
import { RpcPeer, type Outcome } from './jsonrpc/peer.js';
import type { PluginIsolation } from './isolation/index.js';
import { spawnChild, type ChildExit, type ChildHandle } from './process/child.js';
import { LogBudget } from './process/log-budget.js';
import { StderrTail } from './process/stderr-tail.js';
import { HOST_METHODS, LOG_LEVELS, mcpLogLevel } from './protocol.js';
import type { Root } from './mcp/roots.js';
import type { Launch } from './runtime/launch.js';
import { waitAtMost } from './util/wait.js';

/** Why a session's process ended, as the instance needs it to pick an error. */
export interface SessionEnd {
  exit: ChildExit;
  /** `oversize`: we killed it for a message over the cap; `killed`: we stopped it (timeout recycle, dispose, failed start). */
  cause: 'exit' | 'oversize' | 'killed';
  /** Size seen of the oversize message. */
  bytes?: number;
  stderr: string[];
}

/**
 * Bytes of messages to the plugin waiting for it to read its stdin before the host stops reading
 * its stdout; reading resumes below half. A plugin that floods requests and never reads its
 * replies then blocks on its own stdout instead of filling the host's memory.
 */
export const MAX_WRITE_BACKLOG_BYTES = 4 * 2 ** 20;
/** Longest untrusted method name echoed back in an error reply. */
const MAX_ECHOED_METHOD_CHARS = 64;

/** Noise lines logged per process before the rest are only counted. */
const NOISE_LOG_LIMIT = 20;
/** After the leader exits, how long to wait for the rest of its stdout before settling calls. */
const DRAIN_AFTER_EXIT_MS = 200;

export interface SessionOptions {
  launch: Launch;
  /** The OS sandbox to start the process in; none: a plain child process. */
  isolation?: PluginIsolation;
  ctx: SandboxContext;
  maxMessageBytes: number;
  /** Plugin log lines passed to the host's logger per second; the rest are dropped and counted. */
  maxLogLinesPerSecond: number;
  /** Runs once when the process has ended, before pending requests are settled. */
  onEnd(end: SessionEnd): void;
  /** The answer to the server's `roots/list`. */
  roots?: readonly Root[];
  /** The server sent `notifications/tools/list_changed`. */
  onToolsChanged?(): void;
  /** The server sent `notifications/progress` (checked: a finite `progress`, text bounded). */
  onProgress?(token: string | number, report: ProgressReport): void;
}

/** What every still-pending request gets when the process ends; the instance turns it into a typed error per call. */
export class ProcessEnded extends Error {
  readonly end: SessionEnd;
  constructor(end: SessionEnd) {
    super(`the plugin process ended (${end.cause})`);
    this.name = 'ProcessEnded';
    this.end = end;
  }
}

/**
 * One process lifetime: the child, its framing and its JSON-RPC peer, plus the host functions the
 * plugin may call (`host/browserDownload`, `host/log`). An instance replaces its session on a restart.
 */
export class Session {
  readonly child: ChildHandle;
  readonly peer: RpcPeer;
  readonly ended: Promise<SessionEnd>;
  readonly #ctx: SandboxContext;
  readonly #stderr = new StderrTail();
  #cause: SessionEnd['cause'] = 'exit';
  #oversizeBytes: number | undefined;
  #noise = 0;
  readonly #logBudget: LogBudget;
  readonly #maxLogLines: number;
  readonly #roots: readonly Root[];
  readonly #onToolsChanged: (() => void) | undefined;
  readonly #onProgress: SessionOptions['onProgress'];
  readonly #writer: LineWriter;
  #throttled = false;

  constructor(options: SessionOptions) {
    this.#ctx = options.ctx;
    this.#roots = options.roots ?? [];
    this.#onToolsChanged = options.onToolsChanged;
    this.#onProgress = options.onProgress;
    this.#maxLogLines = options.maxLogLinesPerSecond;
    this.#logBudget = new LogBudget(options.maxLogLinesPerSecond);
    this.child = spawnChild(options.launch, options.isolation);
    const writer = new LineWriter(this.child.stdin);
    this.#writer = writer;
    this.peer = new RpcPeer((m) => {
      writer.post(m);
      this.#throttle();
    }, {
      request: (method, params, signal) => this.#serveHost(method, params, signal),
      notification: (method, params) => this.#onNotification(method, params),
    });

    const reader = new LineReader({ maxLineBytes: options.maxMessageBytes });
    const stdoutDone = once(this.child.stdout, 'close').catch(() => undefined);
    this.child.stdout.on('data', (chunk: Buffer) => this.#read(reader, chunk));
    this.child.stdout.on('end', () => this.#deliver(reader.end()));
    this.child.stderr.on('data', (chunk: Buffer) => this.#logStderr(this.#stderr.push(chunk)));
    this.child.stderr.on('end', () => {
      this.#logStderr(this.#stderr.end());
      this.#logBudget.flush(this.#reportDropped);
    });
    for (const stream of [this.child.stdout, this.child.stderr]) stream.on('error', () => undefined);

    this.ended = this.child.exited.then(async (exit) => {
      // Messages written just before exiting may still be in the pipe; a grandchild holding it open must not stall us.
      await waitAtMost(stdoutDone, DRAIN_AFTER_EXIT_MS);
      const end: SessionEnd = {
        exit,
        cause: this.#cause,
        ...(this.#oversizeBytes === undefined ? {} : { bytes: this.#oversizeBytes }),
        stderr: this.#stderr.lines,
      };
      this.#logBudget.flush(this.#reportDropped);
      // Requests learn how the process ended before anyone is told it ended: an exit listener
      // that disposes the instance must not turn a crash into DISPOSED for the calls in flight.
      this.peer.close(new ProcessEnded(end));
      options.onEnd(end);
      return end;
    });
  }

  /** Messages to the plugin not yet taken by its stdin, and whether the host has stopped reading its stdout meanwhile. */
  get backlog(): { messages: number; bytes: number; throttled: boolean } {
    return { ...this.#writer.backlog, throttled: this.#throttled };
  }

  /** Stops reading the plugin's stdout while it leaves too much of our output unread. */
  #throttle(): void {
    if (this.#throttled || this.#writer.backlogBytes <= MAX_WRITE_BACKLOG_BYTES) return;
    this.#throttled = true;
    this.child.stdout.pause();
    this.#safely(() =>
      this.#ctx.logger.warn('plugin is not reading its stdin; the host stops reading its stdout until it does', { backlogBytes: this.#writer.backlog.bytes }),
    );
    void this.#writer.below(MAX_WRITE_BACKLOG_BYTES / 2).then(() => {
      this.#throttled = false;
      if (this.#cause !== 'oversize') this.child.stdout.resume();
    });
  }

  /** A request as a promise; settles when the plugin answers or the process ends. */
  request(method: string, params: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.peer.request(method, params, (o: Outcome) => (o.ok ? resolve(o.result) : reject(o.error)));
    });
  }

  /** Stops the process group (SIGTERM, then SIGKILL after `graceMs`) and waits for the session to settle. */
  async stop(graceMs: number): Promise<SessionEnd> {
    if (!this.child.hasExited) this.#cause = 'killed';
    if (graceMs === 0) this.child.kill();
    else await this.child.terminate(graceMs);
    return this.ended;
  }

  #read(reader: LineReader, chunk: Buffer): void {
    try {
      this.#deliver(reader.push(chunk));
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      if (this.#cause === 'exit') {
        this.#cause = 'oversize';
        this.#oversizeBytes = error.bytes;
        this.#ctx.logger.error('plugin wrote a message larger than the limit; killing it', { limitBytes: error.limitBytes, bytes: error.bytes });
      }
      this.child.stdout.pause();
      this.child.kill();
    }
  }

  #deliver(events: ReturnType<LineReader['push']>): void {
    for (const event of events) {
      // This runs in a stream listener: a throw here would be an uncaught exception in the host.
      try {
        if (event.kind === 'message') {
          this.peer.handle(event.message);
          continue;
        }
        this.#logNoise(event.line, event.reason);
        if (event.responseTo !== undefined) this.peer.fail(event.responseTo, new MalformedResponseError(`was not usable: ${event.reason}`));
      } catch (error) {
        this.#safely(() => this.#ctx.logger.error('handling a message from the plugin failed; skipped', { error: String(error) }));
      }
    }
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch {
      // The host's logger failing must not take the host down either.
    }
  }

  #logNoise(line: string, reason: string): void {
    this.#noise += 1;
    if (this.#noise <= NOISE_LOG_LIMIT) {
      this.#ctx.logger.warn('plugin wrote a non-protocol line to stdout; skipped (write logs to stderr)', {
        reason,
        line: line.length > 200 ? `${line.slice(0, 200)}…` : line,
        ...(this.#noise === NOISE_LOG_LIMIT ? { note: 'further noise lines are not logged' } : {}),
      });
    }
  }

  #logStderr(lines: string[]): void {
    for (const line of lines) this.#pluginLog(() => this.#ctx.logger.info(line, { stream: 'stderr' }));
  }

  /** One line the plugin asked to log, within the log budget; a throwing logger is contained. */
  #pluginLog(log: () => void): void {
    if (this.#logBudget.take(this.#reportDropped)) this.#safely(log);
  }

  readonly #reportDropped = (dropped: number) =>
    this.#safely(() =>
      this.#ctx.logger.warn('plugin logged faster than the host accepts; lines dropped', {
        dropped,
        maxLogLinesPerSecond: this.#maxLogLines,
      }),
    );

  async #serveHost(method: string, params: unknown, signal: AbortSignal): Promise<unknown> {
    if (method === 'ping') return {};
    if (method === 'roots/list') return { roots: this.#roots.map((r) => ({ ...r })) };
    if (method === HOST_METHODS.browserDownload) {
      const url = (params as { url?: unknown } | undefined)?.url;
      if (typeof url !== 'string') {
        throw new RpcError({ code: RpcErrorCode.INVALID_PARAMS, message: `${method} needs params {"url": string}` });
      }
      return this.#ctx.browserDownload(url, { signal });
    }
    // Sampling, elicitation and anything else: refused at once, so the server never waits on us.
    const shown = method.length > MAX_ECHOED_METHOD_CHARS ? `${method.slice(0, MAX_ECHOED_METHOD_CHARS)}… (${method.length} characters)` : method;
    throw new RpcError({ code: RpcErrorCode.METHOD_NOT_FOUND, message: `method not found: ${shown} (this host does not serve it)` });
  }

  #onNotification(method: string, params: unknown): void {
    const p = (params ?? {}) as Record<string, unknown>;
    if (method === HOST_METHODS.log) {
      const level = LOG_LEVELS.includes(p.level as never) ? (p.level as (typeof LOG_LEVELS)[number]) : 'info';
      const fields = typeof p.fields === 'object' && p.fields !== null ? (p.fields as Record<string, unknown>) : undefined;
      this.#pluginLog(() => this.#ctx.logger[level](asText(p.message ?? ''), fields && boundedFields(fields)));
    } else if (method === 'notifications/message') {
      // MCP logging: { level, logger?, data }.
      this.#pluginLog(() => this.#ctx.logger[mcpLogLevel(p.level)](asText(p.data), typeof p.logger === 'string' ? { logger: p.logger } : undefined));
    } else if (method === 'notifications/tools/list_changed' && this.#onToolsChanged) {
      this.#onToolsChanged();
    } else if (method === 'notifications/progress') {
      const token = p.progressToken;
      if ((typeof token !== 'string' && typeof token !== 'number') || typeof p.progress !== 'number' || !Number.isFinite(p.progress)) return;
      this.#onProgress?.(token, {
        progress: p.progress,
        ...(typeof p.total === 'number' && Number.isFinite(p.total) ? { total: p.total } : {}),
        ...(typeof p.message === 'string' ? { message: asText(p.message) } : {}),
      });
    } else {
      this.#pluginLog(() => this.#ctx.logger.debug('ignored notification from plugin', { method: asText(method) }));
    }
  }
}

/** Longest log message, and largest log fields as JSON, passed to the host's logger. */
const MAX_LOG_CHARS = 16 * 1024;

/** Fields as sent, unless their JSON is over `MAX_LOG_CHARS`: then only a note of their size. */
function boundedFields(fields: Record<string, unknown>): Record<string, unknown> {
  const size = JSON.stringify(fields).length;
  return size <= MAX_LOG_CHARS ? fields : { fieldsOmitted: `${size} characters of log fields, over the ${MAX_LOG_CHARS} limit` };
}

/** Log text from any JSON value. `String()` throws on `{"toString": 1}`; JSON.stringify is safe on the depth-limited values the reader passes. */
function asText(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > MAX_LOG_CHARS ? `${text.slice(0, MAX_LOG_CHARS)}… (${text.length - MAX_LOG_CHARS} more characters)` : text;
}
