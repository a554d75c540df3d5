/**
 * clawdesk's stand-in for `openclaw/plugin-sdk/plugin-entry`. OpenClaw's `definePluginEntry`
 * checks and returns the entry object; the runner reads `register` from it, so this returns it as is.
 */

export interface OpenClawPluginEntry {
  id?: string;
  name?: string;
  description?: string;
  configSchema?: unknown;
  register(api: unknown): unknown;
  [key: string]: unknown;
}

export function definePluginEntry<T extends OpenClawPluginEntry>(entry: T): T {
  if (typeof entry?.register !== 'function') {
    throw new TypeError('definePluginEntry: the entry needs a register(api) function');
  }
  return entry;
}

/** `configSchema` for a plugin without settings: an object with no properties. */
export function emptyPluginConfigSchema(): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, properties: {} };
}
