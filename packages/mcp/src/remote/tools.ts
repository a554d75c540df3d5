import type { PluginManifest, ToolDef } from '@clawdesk/manifest';
import { LoadFailedError } from '@clawdesk/sandbox';

/**
 * The tools the host may call, as the process driver decides them: a manifest that lists tools
 * gets exactly those (its descriptions; the server's schemas where it has none), each must be
 * offered; a manifest without tools takes what `tools/list` offers.
 */
export function reconcileTools(manifest: PluginManifest, offered: readonly ToolDef[], where: { plugin: string; driver: string }): ToolDef[] {
  if (manifest.tools.length === 0) return [...offered];
  const byName = new Map(offered.map((t) => [t.name, t]));
  const missing = manifest.tools.filter((t) => !byName.has(t.name)).map((t) => t.name);
  if (missing.length > 0) {
    throw new LoadFailedError(`the manifest declares ${missing.map((n) => `"${n}"`).join(', ')} but the server's "tools/list" does not offer it`, {
      ...where,
      data: { missing, offered: offered.map((t) => t.name) },
    });
  }
  return manifest.tools.map((declared) => {
    const o = byName.get(declared.name);
    const inputSchema = declared.inputSchema ?? o?.inputSchema;
    const outputSchema = declared.outputSchema ?? o?.outputSchema;
    return { ...declared, ...(inputSchema ? { inputSchema } : {}), ...(outputSchema ? { outputSchema } : {}) };
  });
}
