import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@clawdesk/sandbox';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { InsecureListenerError, InvalidServeOptionsError, ListenFailedError } from './errors.js';
import { isLoopbackHost, originProblem, type OriginPolicy } from './origin.js';

export interface HttpServeOptions {
  /** TCP port; 0 picks a free one (read it from the handle's `port`). */
  port: number;
  /** Address to bind. Default `127.0.0.1`. Anything not loopback needs `token` or `allowedOrigins`. */
  host?: string;
  /** Clients must send `Authorization: Bearer <token>`. */
  token?: string;
  /** Browser origins allowed (exact `scheme://host[:port]`). Default: loopback origins on a loopback listener, none otherwise. */
  allowedOrigins?: readonly string[];
  /** URL path of the MCP endpoint. Default `/mcp`. */
  path?: string;
  /**
   * `stateful` (default): sessions with `Mcp-Session-Id`, server-sent `list_changed`, GET streams.
   * `stateless`: every POST is answered on its own, so any instance behind a load balancer can take it.
   */
  sessions?: 'stateful' | 'stateless';
  /** Largest request body accepted. Default 4 MiB. */
  maxBodyBytes?: number;
}

export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_MCP_PATH = '/mcp';
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface HttpListener {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

interface Resolved {
  port: number;
  host: string;
  token: string | undefined;
  origins: OriginPolicy;
  path: string;
  stateless: boolean;
  maxBodyBytes: number;
}

export function resolveHttpOptions(o: HttpServeOptions): Resolved {
  if (!Number.isInteger(o?.port) || o.port < 0 || o.port > 65535) throw new InvalidServeOptionsError('http.port', 'an integer 0-65535', o?.port);
  const host = o.host ?? DEFAULT_HTTP_HOST;
  if (typeof host !== 'string' || host === '') throw new InvalidServeOptionsError('http.host', 'an address to bind', o.host);
  if (o.token !== undefined && (typeof o.token !== 'string' || o.token.length < 16)) {
    throw new InvalidServeOptionsError('http.token', 'a string of at least 16 characters', o.token === undefined ? o.token : '(hidden)');
  }
  const allowedOrigins = o.allowedOrigins ?? [];
  if (!Array.isArray(allowedOrigins) || allowedOrigins.some((x) => typeof x !== 'string' || !/^https?:\/\/[^/]+$/.test(x))) {
    throw new InvalidServeOptionsError('http.allowedOrigins', 'an array of origins such as "https://app.example.com"', o.allowedOrigins);
  }
  const loopback = isLoopbackHost(host);
  if (!loopback && o.token === undefined && allowedOrigins.length === 0) throw new InsecureListenerError(host);
  const path = o.path ?? DEFAULT_MCP_PATH;
  if (typeof path !== 'string' || !path.startsWith('/')) throw new InvalidServeOptionsError('http.path', 'a path starting with "/"', o.path);
  if (o.sessions !== undefined && o.sessions !== 'stateful' && o.sessions !== 'stateless') {
    throw new InvalidServeOptionsError('http.sessions', '"stateful" or "stateless"', o.sessions);
  }
  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw new InvalidServeOptionsError('http.maxBodyBytes', 'a positive integer', o.maxBodyBytes);
  return { port: o.port, host, token: o.token, origins: { loopback, allowedOrigins }, path, stateless: o.sessions === 'stateless', maxBodyBytes };
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: Server;
}

/**
 * MCP Streamable HTTP on one port, through the SDK's transport (framing, SSE, `Mcp-Session-Id`).
 * In front of it: path, Host/Origin (DNS rebinding) and bearer-token checks, and a body size cap.
 */
export async function listenHttp(options: HttpServeOptions, newServer: () => Server, logger: Logger): Promise<HttpListener> {
  const o = resolveHttpOptions(options);
  const sessions = new Map<string, Session>();
  const open = new Set<Session>();

  const closeSession = async (s: Session) => {
    open.delete(s);
    if (s.transport.sessionId) sessions.delete(s.transport.sessionId);
    await s.server.close().catch(() => undefined);
  };

  const newSession = async (): Promise<Session> => {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: o.stateless ? undefined : () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, session);
      },
    });
    const server = newServer();
    const session: Session = { transport, server };
    transport.onclose = () => {
      open.delete(session);
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    open.add(session);
    await server.connect(transport);
    return session;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== o.path) return reply(res, 404, { error: `not found; the MCP endpoint is ${o.path}` });
    const problem = originProblem({ host: req.headers.host, origin: req.headers.origin }, o.origins);
    if (problem) return reply(res, 403, rpcError(-32000, `Forbidden: ${problem}`));
    if (o.token !== undefined && !bearerMatches(req.headers.authorization, o.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return reply(res, 401, rpcError(-32000, 'Unauthorized: send Authorization: Bearer <token>'));
    }
    let body: unknown;
    if (req.method === 'POST') {
      const read = await readBody(req, o.maxBodyBytes);
      if (read.tooLarge) return reply(res, 413, rpcError(-32600, `request body over ${o.maxBodyBytes} bytes`), { connection: 'close' });
      try {
        body = JSON.parse(read.text);
      } catch {
        return reply(res, 400, rpcError(-32700, 'Parse error: the body is not JSON'));
      }
    }
    const id = req.headers['mcp-session-id'];
    if (!o.stateless && typeof id === 'string') {
      const existing = sessions.get(id);
      if (!existing) return reply(res, 404, rpcError(-32001, 'Session not found'));
      return existing.transport.handleRequest(req, res, body);
    }
    if (o.stateless && req.method !== 'POST') return reply(res, 405, rpcError(-32000, 'Method not allowed in stateless mode'), { Allow: 'POST' });
    const session = await newSession();
    await session.transport.handleRequest(req, res, body);
    // A request that did not start a session (stateless, or not an `initialize`) leaves nothing behind.
    if (o.stateless) res.on('close', () => void closeSession(session));
    else if (!session.transport.sessionId) await closeSession(session);
  };

  const http: HttpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('MCP HTTP request failed', { error: String(error) });
      if (!res.headersSent) reply(res, 500, rpcError(-32603, 'Internal error'));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (error) => reject(new ListenFailedError(o.host, o.port, error)));
    http.listen(o.port, o.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    host: o.host,
    port,
    url: `http://${shownHost}:${port}${o.path}`,
    close: () =>
      (closing ??= (async () => {
        await Promise.all([...open].map(closeSession));
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      })()),
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!.trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readBody(req: IncomingMessage, max: number): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) return void chunks.push(chunk);
      // Keep reading into nothing, so the 413 can still be written on this connection.
      req.off('data', onData);
      req.resume();
      resolve({ text: '', tooLarge: true });
    };
    req.on('data', onData);
    req.once('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge: false }));
    req.once('error', reject);
  });
}

function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
