import type { PluginManifest, ToolDef } from '@clawdesk/manifest';

/** A complete, normalized manifest for tests, as @clawdesk/manifest would produce it. */
export function manifest(name: string, over: Partial<PluginManifest> & { toolNames?: string[] } = {}): PluginManifest {
  const { toolNames, ...rest } = over;
  const tools: ToolDef[] = (toolNames ?? []).map((t) => ({ name: t, description: `${t} tool` }));
  return {
    name,
    version: '1.0.0',
    description: `${name} plugin`,
    author: 'tests',
    runtime: 'node',
    sandbox: 'native',
    entry: './index.js',
    args: [],
    capabilities: ['tool_call'],
    channels: [],
    slots: [],
    hooks: [],
    tools,
    minCallIntervalMs: 0,
    timeoutMs: 30000,
    browserCdn: { downloadRules: [] },
    permissions: { network: { allowedHosts: [] }, fs: { read: [], write: [] }, env: [], memoryMb: 128 },
    extra: {},
    dir: `/plugins/${name}`,
    manifestFile: `/plugins/${name}/plugin.json5`,
    format: 'json5',
    ...rest,
  };
}
