import { KNOWN_KEYS, type PluginManifest } from './schema.js';

/**
 * The manifest as a native `plugin.json5` document: every normalized field written out, then the
 * `extra` fields. Reading it back gives the same manifest (with `format: 'json5'`), so this also
 * converts OpenClaw manifests. `dir`, `manifestFile` and `format` describe where a manifest came
 * from and are not written.
 */
export function toManifestJson(m: PluginManifest): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    name: m.name,
    ...(m.displayName !== undefined && { displayName: m.displayName }),
    version: m.version,
    description: m.description,
    author: m.author,
    runtime: m.runtime,
    sandbox: m.sandbox,
    entry: m.entry,
    ...(m.args.length > 0 && { args: m.args }),
    ...(m.url !== undefined && { url: m.url }),
    capabilities: m.capabilities,
    channels: m.channels,
    slots: m.slots,
    hooks: m.hooks,
    tools: m.tools,
    minCallIntervalMs: m.minCallIntervalMs,
    timeoutMs: m.timeoutMs,
    ...(m.startTimeoutMs !== undefined && { startTimeoutMs: m.startTimeoutMs }),
    ...(m.requires !== undefined && { requires: m.requires }),
    browserCdn: m.browserCdn,
    permissions: m.permissions,
    ...(m.configSchema !== undefined && { configSchema: m.configSchema }),
  };
  for (const [key, value] of Object.entries(m.extra)) {
    // A known key (or an alias such as `id`) in `extra` would be read back as that field.
    if (!KNOWN_KEYS.has(key) && key !== '__proto__') doc[key] = value;
  }
  // A deep copy, so editing the document never edits the manifest.
  return structuredClone(doc);
}

/** `toManifestJson` as text: JSON, which is also valid JSON5, indented by two spaces. */
export function serializeManifest(m: PluginManifest): string {
  return `${JSON.stringify(toManifestJson(m), null, 2)}\n`;
}
