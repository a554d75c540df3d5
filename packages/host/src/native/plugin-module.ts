import type { ModuleHook, ModuleTool, PluginModule } from '@clawdesk/sandbox';

/**
 * Finds the `PluginModule` in what the entry exported: the default export, or the module itself
 * (named `tools`/`hooks` exports, or CJS `module.exports`). Returns a problem string when it is not one.
 */
export function toPluginModule(exported: unknown): PluginModule | string {
  const ns = exported as { default?: { default?: unknown } } | null | undefined;
  // ESM default export, CJS transpiled from ESM (`exports.default`), or named exports / module.exports.
  const candidate = [ns?.default, ns?.default?.default, ns].find(hasTools);
  if (!hasTools(candidate)) {
    return 'the entry must export a PluginModule ({ tools: { name: { description, run } }, hooks? }) as its default export or as named exports';
  }
  const mod = candidate as PluginModule;
  for (const [name, tool] of Object.entries(mod.tools as Record<string, ModuleTool | undefined>)) {
    if (typeof tool?.run !== 'function') return `tool "${name}" has no run() function`;
  }
  for (const [name, hook] of Object.entries((mod.hooks ?? {}) as Record<string, ModuleHook | undefined>)) {
    if (typeof hook !== 'function') return `hook "${name}" is not a function`;
  }
  return mod;
}

function hasTools(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { tools?: unknown }).tools === 'object' && (value as { tools?: unknown }).tools !== null;
}
