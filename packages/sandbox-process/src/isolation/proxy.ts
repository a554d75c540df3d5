import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { resolveAllowedHost, type HostLookup, type Logger, type PinnedAddress } from '@clawdesk/sandbox';
import { pipeBothWays } from './pipe-both-ways.js';
import { greetingReply, parseGreeting, parseRequest, replyForConnectError, requestReply, SOCKS_VERSION, SocksReply, type Parsed } from './socks.js';

/**
 * The host-side egress proxy of a process plugin that runs in its own network namespace: the one way
 * out of that namespace. It admits exactly `allowedHosts` (resolved here, pinned, private addresses
 * refused unless listed as themselves — see `resolveAllowedHost`) and speaks, on one port:
 * HTTP CONNECT (https and any TCP), plain HTTP with absolute URIs, and SOCKS5 CONNECT.
 */

export const DEFAULT_PROXY_MAX_CONNECTIONS = 64;
export const DEFAULT_PROXY_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_PROXY_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_PROXY_MAX_HEADER_BYTES = 16 * 1024;

export interface EgressProxyOptions {
  /** `permissions.network.allowedHosts` of the plugin; `[]` admits nothing. */
  allowedHosts: readonly string[];
  /** Where denials (warn) and admissions (debug) are logged. */
  logger?: Logger;
  /** The plugin's name, put in every log entry. */
  plugin?: string;
  /** DNS on the proxy side; defaults to the system resolver. Tests inject names here. */
  lookup?: HostLookup;
  /** Aborting it closes the proxy, as `close()` does. */
  signal?: AbortSignal;
  /** Client connections open at once; one more is answered `503` and closed. */
  maxConnections?: number;
  /** A connection (client or upstream) with no traffic for this long is destroyed. */
  idleTimeoutMs?: number;
  /** Budget for reaching an upstream host. */
  connectTimeoutMs?: number;
  /** Largest request head (request line and headers); a bigger one is answered `431`. */
  maxHeaderBytes?: number;
}

export interface EgressProxyStats {
  /** Client connections accepted since the start. */
  connections: number;
  /** Client connections open now. */
  active: number;
  /** Requests and tunnels refused by the allowlist. */
  denied: number;
  /** Connections turned away because `maxConnections` were open. */
  rejected: number;
  /** Bytes received from the plugin / sent to it, over all client connections. */
  bytesFromPlugin: number;
  bytesToPlugin: number;
}

export interface EgressProxy {
  /** Proxies every connection `server` accepts. `server` may listen inside another network namespace. */
  serve(server: net.Server): void;
  /** Closes every served server and destroys every client and upstream socket. Idempotent. */
  close(): Promise<void>;
  stats(): EgressProxyStats;
}

/** Headers that describe one hop and never travel on (RFC 9110 §7.6.1), plus the proxy's own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export function createEgressProxy(options: EgressProxyOptions): EgressProxy {
  const config = {
    allowedHosts: [...options.allowedHosts],
    logger: options.logger,
    plugin: options.plugin,
    lookup: options.lookup,
    maxConnections: options.maxConnections ?? DEFAULT_PROXY_MAX_CONNECTIONS,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_PROXY_IDLE_TIMEOUT_MS,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_PROXY_CONNECT_TIMEOUT_MS,
    maxHeaderBytes: options.maxHeaderBytes ?? DEFAULT_PROXY_MAX_HEADER_BYTES,
  };
  for (const key of ['maxConnections', 'idleTimeoutMs', 'connectTimeoutMs', 'maxHeaderBytes'] as const) {
    const value = config[key];
    if (!Number.isInteger(value) || value <= 0) throw new TypeError(`createEgressProxy: option ${key} must be a positive integer, got ${String(value)} (${typeof value})`);
  }

  const servers = new Set<net.Server>();
  const clients = new Set<net.Socket>();
  const refused = new Set<net.Socket>(); // turned away at the cap, closing
  const upstreams = new Set<{ destroy(): unknown }>();
  const counts = { connections: 0, denied: 0, rejected: 0, bytesFromPlugin: 0, bytesToPlugin: 0 };
  let closed = false;
  let closing: Promise<void> | undefined;

  const log = (level: 'debug' | 'warn', message: string, fields: Record<string, unknown>) =>
    config.logger?.[level](message, { ...(config.plugin === undefined ? {} : { plugin: config.plugin }), ...fields });

  // Upstream connections of plain HTTP requests, kept alive between requests to the same address.
  const agent = new http.Agent({ keepAlive: true, maxSockets: config.maxConnections, timeout: config.idleTimeoutMs });

  // Parses requests of the connections handed to it; never listens itself.
  // The absolute URI or CONNECT authority names the target; a missing Host header is no reason to refuse.
  const httpServer = http.createServer({ maxHeaderSize: config.maxHeaderBytes, keepAlive: true, requireHostHeader: false });
  httpServer.timeout = config.idleTimeoutMs;
  httpServer.on('request', (req, res) => void forwardRequest(req, res));
  httpServer.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void tunnelHttp(req, socket as net.Socket, head));

  /** Admission: the allowlist decision, logged when it refuses. */
  async function admit(host: string, port: number, protocol: string): Promise<{ pinned: PinnedAddress } | { reason: string }> {
    const decision = await resolveAllowedHost(host, port, config.allowedHosts, config.lookup ? { lookup: config.lookup } : {});
    if (decision.pinned) {
      log('debug', 'egress allowed', { host, port, address: decision.pinned.address, protocol });
      return { pinned: decision.pinned };
    }
    counts.denied++;
    log('warn', 'egress denied', { host, port, protocol, reason: decision.reason });
    return { reason: decision.reason };
  }

  function onConnection(socket: net.Socket) {
    if (closed) return void socket.destroy();
    counts.connections++;
    if (clients.size >= config.maxConnections) {
      counts.rejected++;
      log('warn', 'egress connection refused: too many open', { maxConnections: config.maxConnections });
      socket.on('error', () => {});
      refused.add(socket);
      socket.once('close', () => refused.delete(socket));
      return void endWith(socket, plainResponse(503, `too many connections through the egress proxy (at most ${config.maxConnections})\n`));
    }
    clients.add(socket);
    socket.on('error', () => {}); // a plugin hanging up mid-stream is not the host's error
    socket.once('close', () => {
      clients.delete(socket);
      counts.bytesFromPlugin += socket.bytesRead;
      counts.bytesToPlugin += socket.bytesWritten;
    });
    socket.setTimeout(config.idleTimeoutMs, () => socket.destroy());
    // The first byte tells the protocols apart: 0x05 is SOCKS5, a letter starts an HTTP request line.
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      if (chunk[0] === SOCKS_VERSION) return void socks(socket, chunk);
      socket.unshift(chunk);
      httpServer.emit('connection', socket);
      socket.resume();
    });
  }

  /** Answers and closes; reads on to the client's end, or a socket nobody reads never sees its close. */
  function endWith(socket: net.Socket, data: string | Buffer) {
    socket.setTimeout(config.idleTimeoutMs, () => socket.destroy());
    socket.end(data);
    socket.resume();
  }

  /** Opens a TCP connection to a pinned address; resolves once connected. */
  function connectUpstream(pinned: PinnedAddress, port: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      if (closed) return void reject(new Error('the egress proxy is closed'));
      const upstream = net.connect({ host: pinned.address, port, family: pinned.family });
      upstreams.add(upstream);
      upstream.once('close', () => upstreams.delete(upstream));
      upstream.setTimeout(config.connectTimeoutMs, () => upstream.destroy(timedOut(`connect to ${pinned.address}:${port} timed out after ${config.connectTimeoutMs} ms`)));
      upstream.once('error', reject);
      upstream.once('connect', () => {
        upstream.off('error', reject);
        upstream.on('error', () => {});
        upstream.setTimeout(config.idleTimeoutMs, () => upstream.destroy());
        resolve(upstream);
      });
    });
  }

  /** Joins two sockets both ways (see pipeBothWays for how one side's close reaches the other). */
  function splice(client: net.Socket, upstream: net.Socket) {
    client.setTimeout(config.idleTimeoutMs, () => client.destroy());
    pipeBothWays(client, upstream);
    client.resume();
  }

  async function tunnelHttp(req: http.IncomingMessage, client: net.Socket, head: Buffer) {
    const target = parseAuthority(req.url ?? '');
    if (!target) return void endWith(client, plainResponse(400, `CONNECT needs host:port, got "${req.url ?? ''}"\n`));
    const admission = await admit(target.host, target.port, 'connect');
    if (client.destroyed) return;
    if ('reason' in admission) return void endWith(client, plainResponse(403, `egress denied: ${admission.reason}\n`));
    let upstream: net.Socket;
    try {
      upstream = await connectUpstream(admission.pinned, target.port);
    } catch (error) {
      return void endWith(client, plainResponse(502, `could not reach ${target.host}:${target.port}: ${(error as Error).message}\n`));
    }
    if (client.destroyed) return void upstream.destroy();
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    splice(client, upstream);
  }

  async function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse) {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      return void reply(res, 400, 'this is an egress proxy: send an absolute http:// URI, or CONNECT host:port\n');
    }
    if (url.protocol !== 'http:') return void reply(res, 400, `plain requests must be http://, got ${url.protocol} (use CONNECT for https)\n`);
    const port = Number(url.port || 80);
    const admission = await admit(url.hostname, port, 'http');
    if (closed) return void res.destroy(); // closed while the name was being resolved
    if ('reason' in admission) return void reply(res, 403, `egress denied: ${admission.reason}\n`);

    const headers = forwardedHeaders(req.headers);
    // A chunked request body stays chunked on the next hop (Node frames it again when the header is set).
    if (/chunked/i.test(String(req.headers['transfer-encoding'] ?? ''))) headers['transfer-encoding'] = 'chunked';
    headers.host = url.host; // the absolute URI decides the Host, not what the client claimed
    const upstream = http.request({
      agent,
      host: admission.pinned.address,
      family: admission.pinned.family,
      port,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      timeout: config.idleTimeoutMs,
    });
    upstreams.add(upstream);
    upstream.once('close', () => upstreams.delete(upstream));
    upstream.once('socket', (socket: net.Socket) => {
      if (!socket.connecting) return; // a kept-alive socket from the agent
      const timer = setTimeout(() => upstream.destroy(timedOut(`connect to ${url.host} timed out after ${config.connectTimeoutMs} ms`)), config.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    upstream.once('timeout', () => upstream.destroy(timedOut(`${url.host} sent nothing for ${config.idleTimeoutMs} ms`)));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (res.headersSent) return void res.destroy();
      reply(res, error.code === 'ETIMEDOUT' ? 504 : 502, `could not reach ${url.host}: ${error.message}\n`);
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardedHeaders(answer.headers));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  async function socks(client: net.Socket, first: Buffer) {
    let buffered = first;
    let stage: 'greeting' | 'request' = 'greeting';
    const fail = (code: number) => endWith(client, requestReply(code));
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      void step();
    };
    // The handshake is at most a few hundred bytes; more before a reply is a misbehaving client.
    const MAX_HANDSHAKE = 600;
    const step = async (): Promise<void> => {
      if (buffered.length > MAX_HANDSHAKE) return void client.destroy();
      if (stage === 'greeting') {
        const parsed = parseGreeting(buffered);
        if ('need' in parsed) return;
        if ('error' in parsed) return void endWith(client, greetingReply(false));
        buffered = buffered.subarray(parsed.length);
        client.write(greetingReply(parsed.value.noAuthOffered));
        if (!parsed.value.noAuthOffered) return void endWith(client, Buffer.alloc(0));
        stage = 'request';
      }
      const parsed: Parsed<{ host: string; port: number }> = parseRequest(buffered);
      if ('need' in parsed) return;
      client.off('data', onData);
      client.pause();
      if ('error' in parsed) return void fail(parsed.reply);
      const rest = buffered.subarray(parsed.length);
      const { host, port } = parsed.value;
      const admission = await admit(host, port, 'socks5');
      if (client.destroyed) return;
      if ('reason' in admission) return void fail(SocksReply.NOT_ALLOWED);
      let upstream: net.Socket;
      try {
        upstream = await connectUpstream(admission.pinned, port);
      } catch (error) {
        return void fail(replyForConnectError((error as NodeJS.ErrnoException).code));
      }
      if (client.destroyed) return void upstream.destroy();
      client.write(requestReply(SocksReply.SUCCEEDED));
      if (rest.length > 0) upstream.write(rest);
      splice(client, upstream);
    };
    client.on('data', onData);
    await step();
    client.resume();
  }

  const close = () =>
    (closing ??= (async () => {
      closed = true;
      const stopped = [...servers].map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())));
      for (const socket of [...clients, ...refused]) socket.destroy();
      for (const upstream of upstreams) upstream.destroy();
      agent.destroy();
      await Promise.all(stopped);
    })());

  if (options.signal?.aborted) void close();
  else options.signal?.addEventListener('abort', () => void close(), { once: true });

  return {
    serve(server) {
      if (closed) throw new Error('createEgressProxy: serve() after close()');
      servers.add(server);
      server.on('connection', onConnection);
      server.on('error', (error) => log('warn', 'egress proxy listener failed', { error: error.message }));
    },
    close,
    stats() {
      let fromPlugin = counts.bytesFromPlugin;
      let toPlugin = counts.bytesToPlugin;
      for (const socket of clients) {
        fromPlugin += socket.bytesRead;
        toPlugin += socket.bytesWritten;
      }
      return { connections: counts.connections, active: clients.size, denied: counts.denied, rejected: counts.rejected, bytesFromPlugin: fromPlugin, bytesToPlugin: toPlugin };
    },
  };
}

/** `host:port` of a CONNECT request; IPv6 in brackets. */
export function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^\[([0-9a-f:.]+)\]:(\d{1,5})$/i.exec(authority) ?? /^([^:[\]/\s]+):(\d{1,5})$/.exec(authority);
  if (!match) return undefined;
  const port = Number(match[2]);
  return port >= 1 && port <= 65_535 ? { host: match[1]!, port } : undefined;
}

/** A copy of `headers` without hop-by-hop headers, those named in `Connection`, and any `Proxy-*`. */
export function forwardedHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || name.startsWith('proxy-')) continue;
    out[name] = value;
  }
  return out;
}

const timedOut = (message: string) => Object.assign(new Error(message), { code: 'ETIMEDOUT' });

function plainResponse(status: number, text: string): string {
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`;
}

function reply(res: http.ServerResponse, status: number, text: string) {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
