import type { PluginManifest, ToolDef } from '@clawdesk/manifest';
import { LoadFailedError, type SandboxContext, type SandboxErrorOptions } from '@clawdesk/sandbox';
import { CLAWDESK_PROTOCOL, MCP_PROTOCOL_VERSION, PLUGIN_METHODS } from './protocol.js';
import type { Session } from './session.js';

export interface HandshakeResult {
  /** Tools as `tools/list` offered them. */
  offered: ToolDef[];
  /** Hooks the plugin reported in `capabilities.experimental.clawdesk.hooks` (plugin-sdk does). */
  hooks: string[];
}

/** `tools/list` pages followed at most; a plugin that keeps returning cursors is broken. */
const MAX_TOOL_PAGES = 100;

/**
 * Tools one plugin may offer. Each costs the host a compiled schema and registry entries: 100 000
 * tools took a host 14 s of blocked event loop and 600 MB to load.
 */
export const MAX_TOOLS = 1_000;

const CLIENT_INFO = { name: 'clawdesk', version: '0.0.0' };

/**
 * MCP start: `initialize` (clawdesk's config and data dir ride in `capabilities.experimental.clawdesk`),
 * `notifications/initialized`, then every page of `tools/list`.
 */
export async function handshake(session: Session, ctx: SandboxContext, where: SandboxErrorOptions): Promise<HandshakeResult> {
  const init = await session.request(PLUGIN_METHODS.initialize, {
    protocolVersion: MCP_PROTOCOL_VERSION,
    capabilities: {
      // roots/list is answered with the plugin's granted directories (mcp/roots.ts). They only
      // change with the manifest or the driver's grants, and either starts a new process.
      roots: { listChanged: false },
      experimental: { clawdesk: { protocol: CLAWDESK_PROTOCOL, config: ctx.config, dataDir: ctx.dataDir } },
    },
    clientInfo: CLIENT_INFO,
  });
  if (typeof init !== 'object' || init === null) {
    throw new LoadFailedError(`"initialize" returned ${JSON.stringify(init)}, expected an object`, where);
  }
  session.peer.notify(PLUGIN_METHODS.initialized);
  return { offered: await listTools(session, where), hooks: reportedHooks(init) };
}

/** Every page of `tools/list`, checked: names unique, at most `MAX_TOOLS`. Also run again on `notifications/tools/list_changed`. */
export async function listTools(session: Session, where: SandboxErrorOptions): Promise<ToolDef[]> {
  const offered: ToolDef[] = [];
  const names = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const result = (await session.request(PLUGIN_METHODS.toolsList, cursor === undefined ? {} : { cursor })) as {
      tools?: unknown;
      nextCursor?: unknown;
    } | null;
    if (!result || !Array.isArray(result.tools)) {
      throw new LoadFailedError('"tools/list" returned no "tools" array', where);
    }
    for (const tool of result.tools as Record<string, unknown>[]) {
      if (typeof tool?.name !== 'string') throw new LoadFailedError('"tools/list" returned a tool without a string "name"', where);
      // Which of two same-named tools a call reaches would be a guess; the manifest refuses duplicates too.
      if (names.has(tool.name)) {
        throw new LoadFailedError(`"tools/list" offered more than one tool named ${JSON.stringify(tool.name)}`, { ...where, data: { tool: tool.name } });
      }
      names.add(tool.name);
      if (names.size > MAX_TOOLS) {
        throw new LoadFailedError(`"tools/list" offered more than ${MAX_TOOLS} tools`, { ...where, data: { maxTools: MAX_TOOLS } });
      }
      offered.push({
        name: tool.name,
        description: typeof tool.description === 'string' ? tool.description : '',
        ...(typeof tool.inputSchema === 'object' && tool.inputSchema !== null
          ? { inputSchema: tool.inputSchema as Record<string, unknown> }
          : {}),
        ...(typeof tool.outputSchema === 'object' && tool.outputSchema !== null
          ? { outputSchema: tool.outputSchema as Record<string, unknown> }
          : {}),
      });
    }
    if (typeof result.nextCursor !== 'string' || result.nextCursor === '') break;
    cursor = result.nextCursor;
  }
  return offered;
}

function reportedHooks(init: object): string[] {
  const hooks = (init as { capabilities?: { experimental?: { clawdesk?: { hooks?: unknown } } } }).capabilities?.experimental
    ?.clawdesk?.hooks;
  return Array.isArray(hooks) ? hooks.filter((h): h is string => typeof h === 'string') : [];
}

/**
 * The tools the host may call. A manifest that lists tools gets exactly those (its descriptions,
 * the plugin's schema when the manifest has none), and each must be offered; one without tools takes `tools/list`.
 */
export function reconcileTools(manifest: PluginManifest, offered: ToolDef[], where: SandboxErrorOptions): ToolDef[] {
  if (manifest.tools.length === 0) return offered;
  const byName = new Map(offered.map((t) => [t.name, t]));
  const missing = manifest.tools.filter((t) => !byName.has(t.name)).map((t) => t.name);
  if (missing.length > 0) {
    const list = offered.map((t) => t.name).join(', ') || 'none';
    throw new LoadFailedError(
      `the manifest declares ${missing.length === 1 ? 'tool' : 'tools'} ${missing.map((n) => `"${n}"`).join(', ')} but "tools/list" does not offer ${missing.length === 1 ? 'it' : 'them'} (offered: ${list})`,
      { ...where, data: { missing, offered: offered.map((t) => t.name) } },
    );
  }
  return manifest.tools.map((declared) => {
    const schema = declared.inputSchema ?? byName.get(declared.name)?.inputSchema;
    const output = declared.outputSchema ?? byName.get(declared.name)?.outputSchema;
    return { ...declared, ...(schema ? { inputSchema: schema } : {}), ...(output ? { outputSchema: output } : {}) };
  });
}
