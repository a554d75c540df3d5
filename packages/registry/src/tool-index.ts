import type { ToolDef } from '@clawdesk/manifest';

/** One tool as the registry indexes it. */
export interface ToolIndexEntry {
  /** `plugin.tool` — always unique, always resolvable. */
  readonly qualifiedName: string;
  readonly plugin: string;
  readonly tool: ToolDef;
}

/** A bare tool name offered by more than one plugin. */
export interface ToolConflict {
  readonly tool: string;
  /** Qualified names of every plugin offering it, in load order. */
  readonly candidates: readonly string[];
}

export const qualify = (plugin: string, tool: string): string => `${plugin}.${tool}`;

/** Builds the bare-name index over plugins in load order; a name with several owners keeps all of them. */
export function buildToolIndex(plugins: Iterable<{ name: string; tools: readonly ToolDef[] }>): Map<string, ToolIndexEntry[]> {
  const index = new Map<string, ToolIndexEntry[]>();
  for (const p of plugins) {
    for (const tool of p.tools) {
      const entry: ToolIndexEntry = { qualifiedName: qualify(p.name, tool.name), plugin: p.name, tool };
      const list = index.get(tool.name);
      if (list) list.push(entry);
      else index.set(tool.name, [entry]);
    }
  }
  return index;
}

export function conflictsOf(index: Map<string, ToolIndexEntry[]>): ToolConflict[] {
  const out: ToolConflict[] = [];
  for (const [tool, list] of index) {
    if (list.length > 1) out.push({ tool, candidates: list.map((e) => e.qualifiedName) });
  }
  return out;
}
