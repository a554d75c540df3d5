import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { validateManifest, type PluginManifest } from '@clawdesk/manifest';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const HookRequestSchema = z.object({ method: z.literal('clawdesk/hook'), params: z.object({ hook: z.string(), payload: z.unknown() }) });

/**
 * A real MCP server over Streamable HTTP (the official SDK's `Server` and transport) serving the
 * conformance tools — `echo`, `sleep`, `spin` (waits until cancelled), `crash` (drops every
 * connection, as a server that died would) — and the `on_test` hook. `addTool` registers one more
 * and sends `notifications/tools/list_changed` to every session.
 */
export interface RemoteServer {
  readonly url: string;
  readonly port: number;
  /** Headers of the requests received, in order. */
  readonly requests: IncomingHttpHeaders[];
  /** Live MCP sessions (a DELETE from the client ends one). */
  sessions(): number;
  addTool(name: string): Promise<void>;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

const CONFORMANCE_TOOLS: Tool[] = [
  { name: 'echo', description: 'Returns its arguments unchanged', inputSchema: { type: 'object' } },
  { name: 'sleep', description: 'Resolves after {ms} milliseconds with {slept: ms}', inputSchema: { type: 'object', properties: { ms: { type: 'number' } } } },
  { name: 'spin', description: 'Never returns (until cancelled)', inputSchema: { type: 'object' } },
  { name: 'crash', description: 'The server drops every connection', inputSchema: { type: 'object' } },
  { name: 'steps', description: 'Reports {n} steps of progress to a caller that asked for it', inputSchema: { type: 'object' } },
];

export async function startRemoteServer(port = 0): Promise<RemoteServer> {
  const tools = [...CONFORMANCE_TOOLS];
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const servers = new Set<Server>();
  const requests: IncomingHttpHeaders[] = [];
  let http!: HttpServer;

  const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(value) }], structuredContent: value as Record<string, unknown> });

  function newServer(): Server {
    const server = new Server(
      { name: 'remote-conformance', version: '1.0.0' },
      { capabilities: { tools: { listChanged: true }, experimental: { clawdesk: { hooks: ['on_test'] } } } },
    );
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      const args = (req.params.arguments ?? {}) as Record<string, unknown>;
      switch (req.params.name) {
        case 'echo':
          return text(args);
        case 'sleep':
          await sleep(Number(args.ms), undefined, { signal: extra.signal });
          return text({ slept: args.ms });
        case 'spin':
          await new Promise((_, reject) => extra.signal.addEventListener('abort', () => reject(extra.signal.reason)));
          return text(null);
        case 'steps': {
          const token = extra._meta?.progressToken;
          const n = Number(args.n);
          for (let i = 1; token !== undefined && i <= n; i++) {
            await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: n, message: `step ${i}` } });
          }
          return text({ steps: n, sawToken: token !== undefined });
        }
        case 'crash':
          http.closeAllConnections();
          return new Promise(() => {});
        default:
          if (tools.some((t) => t.name === req.params.name)) return text({ tool: req.params.name });
          return { content: [{ type: 'text', text: `no tool ${req.params.name}` }], isError: true };
      }
    });
    server.setRequestHandler(HookRequestSchema, async (req) => (req.params.hook === 'on_test' ? { got: req.params.payload } : {}) as Record<string, unknown>);
    servers.add(server);
    server.onclose = () => servers.delete(server);
    return server;
  }

  http = createServer(async (req, res) => {
    requests.push(req.headers);
    const id = req.headers['mcp-session-id'];
    const existing = typeof id === 'string' ? transports.get(id) : undefined;
    if (existing) return existing.handleRequest(req, res);
    if (req.method !== 'POST') {
      res.writeHead(typeof id === 'string' ? 404 : 400).end();
      return;
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sid) => void transports.set(sid, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId) transports.delete(transport.sessionId);
    };
    await newServer().connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const bound = (http.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${bound}/mcp`,
    port: bound,
    requests,
    sessions: () => transports.size,
    async addTool(name) {
      tools.push({ name, description: `added: ${name}`, inputSchema: { type: 'object' } });
      await Promise.all([...servers].map((s) => s.sendToolListChanged().catch(() => {})));
    },
    async close() {
      await Promise.all([...transports.values()].map((t) => t.close().catch(() => {})));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** A `sandbox: "remote"` manifest for `url` declaring the on_test hook, its host allowed. */
export function remoteManifest(url: string, doc: Record<string, unknown> = {}): PluginManifest {
  const dir = path.join(os.tmpdir(), 'clawdesk-remote-plugin');
  const { host } = new URL(url);
  return validateManifest(
    { name: 'remote-echo', sandbox: 'remote', url, hooks: ['on_test'], capabilities: ['tool_call', 'event_listener'], permissions: { network: { allowedHosts: [host] } }, ...doc },
    { file: path.join(dir, 'plugin.json5'), format: 'json5', dir },
  );
}
