/**
 * The one naming rule for tools served over MCP: `<plugin>__<tool>`, with every character outside
 * `[A-Za-z0-9_-]` replaced by `_`. The spec (2025-11-25, "Tool names") allows `.` too, but several
 * clients (and the model APIs behind them) accept only `^[a-zA-Z0-9_-]{1,64}$`, so the served names
 * stay inside that set. Replacing characters can make two tools collide; the table keeps the first
 * (load order) and reports the rest, so a name always reaches exactly one tool.
 */
export const NAME_SEPARATOR = '__';
/** Longest tool name the spec allows. */
export const MAX_TOOL_NAME_LENGTH = 128;

export function mcpToolName(plugin: string, tool: string): string {
  return `${safe(plugin)}${NAME_SEPARATOR}${safe(tool)}`;
}

function safe(part: string): string {
  return part.replace(/[^A-Za-z0-9_-]/g, '_');
}

export interface NamedTool<T> {
  plugin: string;
  tool: string;
  def: T;
}

export interface NameTable<T> {
  byName: Map<string, NamedTool<T>>;
  /** Tools left out: a name another tool already has, or longer than the spec allows. */
  skipped: { plugin: string; tool: string; name: string; reason: 'collision' | 'too-long' }[];
}

export function buildNameTable<T>(tools: Iterable<NamedTool<T>>): NameTable<T> {
  const byName = new Map<string, NamedTool<T>>();
  const skipped: NameTable<T>['skipped'] = [];
  for (const t of tools) {
    const name = mcpToolName(t.plugin, t.tool);
    if (name.length > MAX_TOOL_NAME_LENGTH) skipped.push({ plugin: t.plugin, tool: t.tool, name, reason: 'too-long' });
    else if (byName.has(name)) skipped.push({ plugin: t.plugin, tool: t.tool, name, reason: 'collision' });
    else byName.set(name, t);
  }
  return { byName, skipped };
}
