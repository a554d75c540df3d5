import type { PluginHost } from '@clawdesk/host';
import type { Logger, ProgressReport } from '@clawdesk/sandbox';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ToolCatalog } from './catalog.js';
import { callTool, listTools } from './tools.js';

export interface ServerInfo {
  name: string;
  version: string;
}

/**
 * One SDK `Server` (one MCP session) over a shared catalog. It announces `tools.listChanged` and
 * sends `notifications/tools/list_changed` whenever the catalog changes, until it closes.
 */
export function createSessionServer(host: PluginHost, catalog: ToolCatalog, info: ServerInfo, logger: Logger): Server {
  // `Server` is the SDK's low-level class: plugin schemas are JSON Schema already, which McpServer (zod) cannot take as is.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const server = new Server(info, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listTools(catalog) }));
  // extra.signal aborts on the client's notifications/cancelled (and when the session closes).
  server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
    // A client that asked for progress (a progressToken) gets the plugin's reports as notifications/progress.
    const token = request.params._meta?.progressToken;
    const onProgress =
      token === undefined
        ? undefined
        : (report: ProgressReport) =>
            void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, ...report } }).catch((error: unknown) =>
              logger.debug('could not send notifications/progress', { error: String(error) }),
            );
    return callTool(host, catalog, request.params.name, request.params.arguments, extra.signal, onProgress);
  });
  let initialized = false;
  server.oninitialized = () => {
    initialized = true;
  };
  const off = catalog.onChange(() => {
    // Before `initialized` the client is not listening yet; it lists tools after the handshake anyway.
    if (!initialized) return;
    server.sendToolListChanged().catch((error: unknown) => logger.debug('could not send tools/list_changed', { error: String(error) }));
  });
  const previous = server.onclose;
  server.onclose = () => {
    off();
    previous?.();
  };
  return server;
}
