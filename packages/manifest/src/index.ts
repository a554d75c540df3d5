// The public contract of @clawdesk/manifest: everything exported here is public API.

export { MANIFEST_FILE, MAX_MANIFEST_BYTES, OPENCLAW_MANIFEST_FILE } from './constants.js';

export { ManifestError } from './errors.js';
export type { ManifestErrorCode, ManifestProblem } from './errors.js';

export { manifestJsonSchema } from './json-schema.js';

export { CAPABILITIES, RUNTIMES, SANDBOX_KINDS, SLOTS } from './kinds.js';
export type { Capability, ManifestFormat, Runtime, SandboxKind, Slot } from './kinds.js';

export { loadManifest } from './load.js';
export type { LoadedManifest, LoadManifestOptions, ManifestLogger } from './load.js';

export { mcpServerManifest, mcpServerManifestDoc } from './mcp-server.js';
export type { McpServerManifestOptions } from './mcp-server.js';

export { parseManifest } from './parse.js';

export { scanPlugins } from './scan.js';
export type { ScanProblem, ScanResult } from './scan.js';

export type { BrowserCdnConfig, DownloadRule, PluginManifest, PluginPermissions, ToolDef } from './schema.js';

export { serializeManifest, toManifestJson } from './serialize.js';

export { validateManifest } from './validate.js';
export type { ParseManifestOptions } from './validate.js';
