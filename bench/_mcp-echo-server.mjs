// The baseline MCP server of bench/mcp.mjs: the official SDK's low-level Server over stdio with one
// echo tool answering the MCP-shaped result clawdesk's tools return. Not a suite ("_" prefix).
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const server = new Server({ name: 'bench-echo', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'echo', description: 'Returns its arguments', inputSchema: { type: 'object' } }] }));
server.setRequestHandler(CallToolRequestSchema, async (req) => {
  const args = req.params.arguments ?? {};
  return { content: [{ type: 'text', text: JSON.stringify(args) }], structuredContent: args };
});
await server.connect(new StdioServerTransport());
