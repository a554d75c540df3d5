import { once } from 'node:events';
import type { SandboxContext } from '@clawdesk/sandbox';
import { LineReader, LineTooLongError } from './jsonrpc/line-reader.js';
import { LineWriter } from './jsonrpc/line-writer.js';
import { RpcError, RpcErrorCode } from './jsonrpc/messages.js';
import { RpcPeer, type Outcome } from './jsonrpc/peer.js';
import { spawnChild, type ChildExit, type ChildHandle } from './process/child.js';
import { StderrTail } from './process/stderr-tail.js';
import { HOST_METHODS, LOG_LEVELS, mcpLogLevel } from './protocol.js';
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

/** Noise lines logged per process before the rest are only counted. */
const NOISE_LOG_LIMIT = 20;
/** After the leader exits, how long to wait for the rest of its stdout before settling calls. */
const DRAIN_AFTER_EXIT_MS = 200;

export interface SessionOptions {
  launch: Launch;
  ctx: SandboxContext;
  maxMessageBytes: number;
  /** Runs once when the process has ended, before pending requests are settled. */
  onEnd(end: SessionEnd): void;
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

  constructor(options: SessionOptions) {
    this.#ctx = options.ctx;
    this.child = spawnChild(options.launch);
    const writer = new LineWriter(this.child.stdin);
    this.peer = new RpcPeer((m) => writer.write(m), {
      request: (method, params, signal) => this.#serveHost(method, params, signal),
      notification: (method, params) => this.#onNotification(method, params),
    });

    const reader = new LineReader({ maxLineBytes: options.maxMessageBytes });
    const stdoutDone = once(this.child.stdout, 'close').catch(() => undefined);
    this.child.stdout.on('data', (chunk: Buffer) => this.#read(reader, chunk));
    this.child.stdout.on('end', () => this.#deliver(reader.end()));
    this.child.stderr.on('data', (chunk: Buffer) => this.#logStderr(this.#stderr.push(chunk)));
    this.child.stderr.on('end', () => this.#logStderr(this.#stderr.end()));
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
      // Requests learn how the process ended before anyone is told it ended: an exit listener
      // that disposes the instance must not turn a crash into DISPOSED for the calls in flight.
      this.peer.close(new ProcessEnded(end));
      options.onEnd(end);
      return end;
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
      if (event.kind === 'message') this.peer.handle(event.message);
      else this.#logNoise(event.line, event.reason);
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
    for (const line of lines) this.#ctx.logger.info(line, { stream: 'stderr' });
  }

  async #serveHost(method: string, params: unknown, signal: AbortSignal): Promise<unknown> {
    if (method === 'ping') return {};
    if (method === HOST_METHODS.browserDownload) {
      const url = (params as { url?: unknown } | undefined)?.url;
      if (typeof url !== 'string') {
        throw new RpcError({ code: RpcErrorCode.INVALID_PARAMS, message: `${method} needs params {"url": string}` });
      }
      return this.#ctx.browserDownload(url, { signal });
    }
    throw new RpcError({ code: RpcErrorCode.METHOD_NOT_FOUND, message: `method not found: ${method}` });
  }

  #onNotification(method: string, params: unknown): void {
    const p = (params ?? {}) as Record<string, unknown>;
    if (method === HOST_METHODS.log) {
      const level = LOG_LEVELS.includes(p.level as never) ? (p.level as (typeof LOG_LEVELS)[number]) : 'info';
      const fields = typeof p.fields === 'object' && p.fields !== null ? (p.fields as Record<string, unknown>) : undefined;
      this.#ctx.logger[level](String(p.message ?? ''), fields);
    } else if (method === 'notifications/message') {
      // MCP logging: { level, logger?, data }.
      const data = typeof p.data === 'string' ? p.data : JSON.stringify(p.data);
      this.#ctx.logger[mcpLogLevel(p.level)](data, typeof p.logger === 'string' ? { logger: p.logger } : undefined);
    } else {
      this.#ctx.logger.debug('ignored notification from plugin', { method });
    }
  }
}
