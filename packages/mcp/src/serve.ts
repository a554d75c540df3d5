import type { PluginHost } from '@clawdesk/host';
import type { Logger } from '@clawdesk/sandbox';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ToolCatalog } from './catalog.js';
import { InvalidServeOptionsError } from './errors.js';
import { listenHttp, resolveHttpOptions, type HttpServeOptions } from './http.js';
import { createSessionServer, type ServerInfo } from './server.js';

export interface ServeMcpOptions {
  /**
   * `'stdio'`: this process's stdin/stdout (nothing else may write to stdout).
   * `{ http }`: Streamable HTTP on a port (see `HttpServeOptions`).
   * A `Transport` from the SDK (e.g. `InMemoryTransport`): one session over it.
   */
  transport: 'stdio' | { http: HttpServeOptions } | Transport;
  /** Aborting closes the server (like `close()`). */
  signal?: AbortSignal;
  /** Default: silent. */
  logger?: Logger;
  /** `serverInfo` sent in `initialize`. Default `{ name: 'clawdesk', version: '0.0.0' }`. */
  serverInfo?: ServerInfo;
}

export interface McpServing {
  /** Set for HTTP: the endpoint, e.g. `http://127.0.0.1:53121/mcp`. */
  readonly url: string | undefined;
  /** Set for HTTP: the bound port (useful with `port: 0`). */
  readonly port: number | undefined;
  /** Resolves when the server has closed (by `close()`, the signal, or the stdio/transport peer going away). */
  readonly closed: Promise<void>;
  /** Stops serving: closes every session (in-flight calls are cancelled) and the listener. Idempotent. Leaves the host running. */
  close(): Promise<void>;
}

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const DEFAULT_INFO: ServerInfo = { name: 'clawdesk', version: '0.0.0' };

/**
 * Serves every active plugin's tools of `host` as one MCP server. Tool names follow `mcpToolName`
 * (`<plugin>__<tool>`); calls go through `host.callTool`, so the host's policies apply; clients
 * get `notifications/tools/list_changed` when plugins load, unload, reload or fail.
 */
export async function serveMcp(host: PluginHost, options: ServeMcpOptions): Promise<McpServing> {
  const transport = options?.transport;
  const logger = options.logger ?? SILENT;
  const info = options.serverInfo ?? DEFAULT_INFO;
  const kind = transportKind(transport);
  if (kind === 'http') resolveHttpOptions((transport as { http: HttpServeOptions }).http); // throws before anything starts
  if (options.signal?.aborted) throw options.signal.reason;

  const catalog = new ToolCatalog(host, logger);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let stop: () => Promise<void>;
  let url: string | undefined;
  let port: number | undefined;

  try {
    if (kind === 'http') {
      const listener = await listenHttp((transport as { http: HttpServeOptions }).http, () => createSessionServer(host, catalog, info, logger), logger);
      url = listener.url;
      port = listener.port;
      stop = () => listener.close();
    } else {
      const server = createSessionServer(host, catalog, info, logger);
      const previous = server.onclose;
      server.onclose = () => {
        previous?.();
        void serving.close();
      };
      await server.connect(kind === 'stdio' ? new StdioServerTransport() : (transport as Transport));
      stop = () => server.close();
    }
  } catch (error) {
    catalog.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const onAbort = () => void serving.close();
  const serving: McpServing = {
    url,
    port,
    closed,
    close: () =>
      (closing ??= (async () => {
        options.signal?.removeEventListener('abort', onAbort);
        catalog.close();
        try {
          await stop();
        } finally {
          resolveClosed();
        }
      })()),
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  return serving;
}

function transportKind(t: unknown): 'stdio' | 'http' | 'custom' {
  if (t === 'stdio') return 'stdio';
  if (typeof t === 'object' && t !== null) {
    if ('http' in t) return 'http';
    if (typeof (t as Transport).start === 'function' && typeof (t as Transport).send === 'function') return 'custom';
  }
  throw new InvalidServeOptionsError('transport', `'stdio', { http: { port } } or an MCP SDK Transport`, t);
}
