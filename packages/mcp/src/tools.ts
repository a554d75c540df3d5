import type { PluginHost } from '@clawdesk/host';
import type { ToolDef } from '@clawdesk/manifest';
import type { ProgressReport, ToolResult } from '@clawdesk/sandbox';
import { ErrorCode, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolCatalog } from './catalog.js';

/** `tools/list`: every served tool with its schemas as the plugin gave them. */
export function listTools(catalog: ToolCatalog): Tool[] {
  return [...catalog.table().byName.entries()].map(([name, { plugin, def }]) => toMcpTool(name, plugin, def));
}

function toMcpTool(name: string, plugin: string, def: ToolDef): Tool {
  const extra = def as ToolDef & { outputSchema?: Record<string, unknown>; title?: string };
  return {
    name,
    ...(extra.title !== undefined && { title: extra.title }),
    description: def.description || `${def.name} (plugin ${plugin})`,
    // MCP requires an object schema; a tool without one takes any object.
    inputSchema: { type: 'object', ...def.inputSchema } as Tool['inputSchema'],
    ...(extra.outputSchema !== undefined && { outputSchema: { type: 'object', ...extra.outputSchema } as Tool['outputSchema'] }),
  };
}

/**
 * `tools/call` through the host, so its policies (timeouts, spacing, argument validation,
 * restarts) apply. An unknown name is a protocol error (-32602), as the spec asks; everything
 * the plugin or its sandbox got wrong — bad arguments, timeout, crash — is an `isError` result
 * the model can read, with the clawdesk error code in front and in `_meta`.
 */
export async function callTool(
  host: PluginHost,
  catalog: ToolCatalog,
  name: string,
  args: Record<string, unknown> | undefined,
  signal: AbortSignal,
  onProgress?: (report: ProgressReport) => void,
): Promise<CallToolResult> {
  const target = catalog.table().byName.get(name);
  if (!target) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
  try {
    return toCallToolResult(await host.callTool(target.plugin, target.tool, args ?? {}, onProgress ? { signal, onProgress } : { signal }));
  } catch (error) {
    return errorToResult(error);
  }
}

function toCallToolResult(result: ToolResult): CallToolResult {
  return {
    content: result.content as CallToolResult['content'],
    ...(result.structuredContent !== undefined && isObject(result.structuredContent)
      ? { structuredContent: result.structuredContent as Record<string, unknown> }
      : {}),
    ...(result.isError ? { isError: true } : {}),
  };
}

/** Meta key carrying `{ code, data }` of the clawdesk error behind an `isError` result. */
export const ERROR_META_KEY = 'clawdesk/error';

function errorToResult(error: unknown): CallToolResult {
  const e = error as { code?: unknown; message?: unknown; problems?: unknown };
  const code = typeof e?.code === 'string' ? e.code : 'INTERNAL';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const problems = e?.problems;
  return {
    content: [{ type: 'text', text: `${code}: ${message}` }],
    isError: true,
    _meta: { [ERROR_META_KEY]: { code, ...(Array.isArray(problems) && { problems }) } },
  };
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
