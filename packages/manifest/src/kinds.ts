// The closed vocabularies of a manifest. Arrays (not only types) so messages and schemas can list them.

export const RUNTIMES = ['node', 'bun', 'deno', 'wasm'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** `remote`: an MCP server over Streamable HTTP at the manifest's `url` (driver in `@clawdesk/mcp`). */
export const SANDBOX_KINDS = ['wasm', 'process', 'native', 'remote'] as const;
export type SandboxKind = (typeof SANDBOX_KINDS)[number];

export const CAPABILITIES = ['tool_call', 'message_transform', 'channel_adapter', 'event_listener'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const SLOTS = ['memory', 'context_engine'] as const;
export type Slot = (typeof SLOTS)[number];

/** Which file a manifest came from: `plugin.json5` or OpenClaw's `openclaw.plugin.json`. */
export type ManifestFormat = 'json5' | 'openclaw';
