import { spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import type net from 'node:net';
import { IsolationUnavailableError, LoadFailedError, type SandboxErrorOptions } from '@clawdesk/sandbox';

/**
 * A listening TCP server bound inside the network namespace of another process, served by this one.
 *
 * A socket keeps the namespace it was created in, so a short-lived helper — this host's own node
 * under `nsenter --net` — binds the port there and sends the server handle back over its IPC
 * channel, then exits. The host then accepts, in its own namespace, connections made inside the
 * plugin's. No process stays behind and no veth or route is needed: the plugin's namespace has only
 * `lo`, and this listener is its one door.
 */

export const DEFAULT_NETNS_LISTEN_TIMEOUT_MS = 5_000;

export interface ListenInNetnsOptions {
  /** Port inside the namespace; 0 picks a free one (read it from `server.address()`). */
  port: number;
  /** Address inside the namespace; loopback unless the namespace has other interfaces. */
  host?: string;
  /** Budget for spawning the helper and receiving the handle. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The `nsenter` binary (util-linux); a path or a command name. */
  nsenter?: string;
  /** The node binary that runs the helper; the host's own by default. */
  node?: string;
  /** Put into errors so they name the plugin. */
  plugin?: string;
}

/** Why `listenInNetns` failed; stable, for callers to branch on. */
export type NetnsListenFailure = 'no-such-process' | 'nsenter-failed' | 'bind-failed' | 'timeout' | 'cancelled';

/** A listener could not be set up in the plugin's network namespace. `data`: `{ reason, pid, port, host, stderr }`. */
export class NetnsListenError extends LoadFailedError {
  readonly reason: NetnsListenFailure;
  constructor(reason: NetnsListenFailure, detail: string, opts: SandboxErrorOptions) {
    super(`no egress listener in its network namespace: ${detail}`, { ...opts, data: { reason, ...opts.data } });
    this.reason = reason;
  }
}

// Runs inside the namespace: bind, hand the server over, exit. Errors go to stderr as one JSON line.
const HELPER = `
const server = require('node:net').createServer();
server.once('error', (e) => { process.stderr.write(JSON.stringify({ code: e.code, message: e.message }) + '\\n'); process.exit(3); });
server.listen({ port: Number(process.argv[1]), host: process.argv[2], exclusive: true }, () => {
  process.send('listening', server, () => { server.close(); process.disconnect(); });
});`;

/**
 * Binds `host:port` inside the network namespace of process `pid` and resolves to a listening
 * `net.Server` owned by this process. The helper process has exited by the time it resolves.
 */
export async function listenInNetns(pid: number, options: ListenInNetnsOptions): Promise<net.Server> {
  const host = options.host ?? '127.0.0.1';
  const { port } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_NETNS_LISTEN_TIMEOUT_MS;
  const where = { ...(options.plugin === undefined ? {} : { plugin: options.plugin }) };
  const fail = (reason: NetnsListenFailure, detail: string, stderr = '') =>
    new NetnsListenError(reason, detail, { ...where, data: { pid, port, host, stderr } });

  if (!Number.isInteger(pid) || pid <= 0) throw new TypeError(`listenInNetns: pid must be a positive integer, got ${String(pid)} (${typeof pid})`);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new TypeError(`listenInNetns: options.port must be an integer 0–65535, got ${String(port)} (${typeof port})`);
  if (options.signal?.aborted) throw fail('cancelled', 'cancelled before it started');

  const args = [`--net=/proc/${pid}/ns/net`];
  // A namespace owned by another user namespace can only be joined from inside it when not root.
  let userns = false;
  try {
    readlinkSync(`/proc/${pid}/ns/net`);
    userns = process.geteuid?.() !== 0 && readlinkSync(`/proc/${pid}/ns/user`) !== readlinkSync('/proc/self/ns/user');
  } catch {
    throw fail('no-such-process', `process ${pid} does not exist or its namespaces are not visible`);
  }
  if (userns) args.unshift(`--user=/proc/${pid}/ns/user`, '--preserve-credentials');

  const child = spawn(options.nsenter ?? 'nsenter', [...args, options.node ?? process.execPath, '-e', HELPER, String(port), host], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  return receiveServer(child, { timeoutMs, signal: options.signal, fail, nsenter: options.nsenter ?? 'nsenter', where });
}

function receiveServer(
  child: ChildProcess,
  ctx: {
    timeoutMs: number;
    signal: AbortSignal | undefined;
    fail: (reason: NetnsListenFailure, detail: string, stderr?: string) => Error;
    nsenter: string;
    where: SandboxErrorOptions;
  },
): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    let server: net.Server | undefined;
    let settled = false;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 8192) stderr += chunk;
    });
    const settle = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
      if (error) {
        child.kill('SIGKILL');
        server?.close();
        reject(error);
      } else {
        resolve(server!);
      }
    };
    const timer = setTimeout(() => settle(ctx.fail('timeout', `the nsenter helper did not hand over a listener within ${ctx.timeoutMs} ms`, stderr)), ctx.timeoutMs);
    const onAbort = () => settle(ctx.fail('cancelled', 'cancelled'));
    ctx.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (message, handle) => {
      if (message === 'listening' && handle) server = handle as net.Server;
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      settle(
        error.code === 'ENOENT'
          ? new IsolationUnavailableError(`nsenter (util-linux) at "${ctx.nsenter}"`, 'install util-linux (Debian/Ubuntu: apt-get install util-linux)', {
              ...ctx.where,
              cause: error,
            })
          : ctx.fail('nsenter-failed', `could not start ${ctx.nsenter}: ${error.message}`),
      );
    });
    // The helper exits once the handle is delivered; 'close' comes after its exit and its last IPC message.
    child.once('close', (code, signal) => {
      if (server && code === 0) return settle(undefined);
      const text = stderr.trim();
      const bind = /^\{.*"code".*\}$/m.exec(text)?.[0];
      if (bind) {
        const { code: errno, message } = JSON.parse(bind) as { code?: string; message?: string };
        return settle(ctx.fail('bind-failed', `the helper could not listen: ${message ?? errno ?? 'unknown error'}`, text));
      }
      const ended = code !== null ? `exit code ${code}` : `signal ${signal ?? 'unknown'}`;
      settle(ctx.fail('nsenter-failed', `nsenter ended with ${ended}${text ? `: ${text.split('\n').slice(-3).join(' ')}` : ''}`, text));
    });
  });
}
