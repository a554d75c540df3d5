/** The native manifest, read first. */
export const MANIFEST_FILE = 'plugin.json5';

/** OpenClaw's manifest, read when `plugin.json5` is absent. */
export const OPENCLAW_MANIFEST_FILE = 'openclaw.plugin.json';

/** Manifests (and OpenClaw's sibling `package.json`) above this size are refused before parsing. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * Deepest nesting of arrays and objects a manifest may have. JSON5 parses any depth, but most
 * consumers of the result recurse (structuredClone, JSON.stringify, ajv) and overflow the stack.
 */
export const MAX_MANIFEST_DEPTH = 100;
