import type { PluginManifest, ToolDef } from '@clawdesk/manifest';
import type { Logger, PluginDescription, SandboxInstance } from '@clawdesk/sandbox';
import type { ValidateFunction } from 'ajv';
import { compileValidators } from './validate.js';

/** The tools a plugin serves: what it described, with the manifest's description and schemas where it gave none. */
export function mergeTools(declared: readonly ToolDef[], described: readonly ToolDef[]): Map<string, ToolDef> {
  const byName = new Map(declared.map((t) => [t.name, t]));
  const out = new Map<string, ToolDef>();
  for (const t of described) {
    const d = byName.get(t.name);
    const inputSchema = t.inputSchema ?? d?.inputSchema;
    const outputSchema = t.outputSchema ?? d?.outputSchema;
    out.set(t.name, {
      name: t.name,
      description: t.description || d?.description || '',
      ...(inputSchema ? { inputSchema } : {}),
      ...(outputSchema ? { outputSchema } : {}),
    });
  }
  return out;
}

/** The parts of a loaded version that follow its description. */
export interface DescribedState {
  readonly manifest: PluginManifest;
  readonly tools: Map<string, ToolDef>;
  readonly validators: Map<string, ValidateFunction>;
}

/**
 * Takes a description an instance announced while running (`onDescriptionChange`): the tools and
 * their validators are replaced together, so a call never meets a schema of the other list.
 * Throws, changing nothing, if a new schema does not compile.
 */
export function applyDescription(state: DescribedState, description: PluginDescription): void {
  const tools = mergeTools(state.manifest.tools, description.tools);
  const validators = compileValidators([...tools.values()]);
  state.tools.clear();
  for (const [name, tool] of tools) state.tools.set(name, tool);
  state.validators.clear();
  for (const [name, validate] of validators) state.validators.set(name, validate);
}

/**
 * Subscribes to an instance's description changes (if its driver announces them): while `current()`,
 * each one is applied and `publish` gets the new tool list (the host updates its registry).
 */
export function followDescription(
  instance: SandboxInstance,
  state: DescribedState & { readonly ctx: { readonly logger: Logger } },
  current: () => boolean,
  publish: (tools: ToolDef[]) => void,
): () => void {
  const off = instance.onDescriptionChange?.((described) => {
    if (!current()) return;
    try {
      applyDescription(state, described);
    } catch (error) {
      state.ctx.logger.warn('the plugin announced tools this host cannot validate; keeping the previous list', { error: String(error) });
      return;
    }
    publish([...state.tools.values()]);
  });
  return off ?? (() => {});
}
