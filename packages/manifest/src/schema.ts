import semver from 'semver';
import { z } from 'zod';
import { describeValue } from './errors.js';
import { CAPABILITIES, RUNTIMES, SANDBOX_KINDS, SLOTS, type ManifestFormat } from './kinds.js';
import { relativePathProblem } from './paths.js';
import { impliedCapabilities } from './rules.js';

// The one source of truth for a manifest's fields: the input side describes `plugin.json5` (and
// feeds the JSON Schema), the output side is `PluginManifest`. Rules spanning several fields live
// in rules.ts.

const DEFAULT_ENTRY = './dist/index.js';
const DEFAULT_VERSION = '0.0.0';
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MEMORY_MB = 128;
/** Timers clamp larger delays to 1 ms, so a bigger timeout would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Marks problems that get the `MANIFEST_ENTRY_ESCAPE` code. */
export const ENTRY_ESCAPE = 'entry-escape';

/** A string checked by `test`, which returns why it is wrong or `undefined`. */
const checkedString = (test: (s: string) => string | undefined, params?: Record<string, string>) =>
  z.string().superRefine((s, ctx) => {
    const message = test(s);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message, ...(params && { params }) });
  });

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const identifier = z
  .string()
  .max(214)
  .regex(NAME_PATTERN, { error: (iss) => `must be letters, digits, ".", "_" or "-", starting with a letter or digit; got ${JSON.stringify(iss.input)}` });

const version = checkedString((v) =>
  /^\d/.test(v) && semver.valid(v) !== null ? undefined : `must be a semver version like "1.2.3", got ${JSON.stringify(v)}`,
);

const versionRange = checkedString((r) =>
  r.trim() !== '' && semver.validRange(r) !== null ? undefined : `must be a semver range like ">=1.2.0", got ${JSON.stringify(r)}`,
);

const relativePath = checkedString((p) => (p === '' ? 'must not be empty' : relativePathProblem(p)));
const entryPath = checkedString((p) => (p === '' ? 'must not be empty' : relativePathProblem(p)), { rule: ENTRY_ESCAPE });

const jsonObject = z.record(z.string(), z.unknown());
const nonEmpty = z.string().min(1);

const toolDefSchema = z.object({
  name: nonEmpty,
  description: z.string().default(''),
  inputSchema: jsonObject.optional().meta({ description: 'JSON Schema of the tool arguments' }),
  outputSchema: jsonObject.optional().meta({ description: 'JSON Schema of the structured result (MCP outputSchema)' }),
});

const downloadRuleSchema = z.object({
  matchHosts: z.array(nonEmpty).min(1).meta({ description: 'URL host substrings; any match applies the rule' }),
  referer: z.string().meta({ description: 'Referer header sent when the rule applies' }),
});

const browserCdnSchema = z.object({
  downloadRules: z.array(downloadRuleSchema).default([]).meta({ description: 'First matching rule wins' }),
});

// Strict: a permission this version does not know cannot be enforced, so it must not pass silently.
const permissionsSchema = z.strictObject({
  network: z.strictObject({ allowedHosts: z.array(nonEmpty).default([]) }).prefault({}),
  fs: z
    .strictObject({ read: z.array(relativePath).default([]), write: z.array(relativePath).default([]) })
    .prefault({})
    .meta({ description: 'Paths relative to the plugin directory' }),
  env: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (iss) => `must be an environment variable name, got ${JSON.stringify(iss.input)}` }))
    .default([])
    .meta({ description: 'Environment variables passed through to the plugin' }),
  memoryMb: z.int().positive().default(DEFAULT_MEMORY_MB),
});

const authorSchema = z.union([z.string(), z.looseObject({ name: z.string() })], {
  error: (iss) => `expected a string or an object with a string "name", got ${describeValue(iss.input)}`,
});

const manifestShape = {
  name: identifier.optional().meta({ description: 'Unique plugin identifier' }),
  id: identifier.optional().meta({ description: 'Alias of name (OpenClaw); name wins' }),
  displayName: z.string().optional(),
  version: version.default(DEFAULT_VERSION),
  description: z.string().default(''),
  author: authorSchema.transform((a) => (typeof a === 'string' ? a : a.name)).default(''),
  runtime: z.enum(RUNTIMES).default('node'),
  sandbox: z.enum(SANDBOX_KINDS).optional().meta({ description: 'Derived from runtime when absent: wasm → wasm, otherwise process' }),
  entry: entryPath.optional().meta({ description: `Entry file relative to the plugin directory; default ${DEFAULT_ENTRY}` }),
  entryPoint: entryPath.optional().meta({ description: 'Alias of entry' }),
  entry_point: entryPath.optional().meta({ description: 'Alias of entry' }),
  args: z
    .array(z.string())
    .default([])
    .meta({ description: 'Command-line arguments passed after the entry (process); ${pluginDir} and ${dataDir} are expanded' }),
  url: z
    .url({ protocol: /^https?$/, error: (iss) => `must be an http(s) URL, got ${describeValue(iss.input)}` })
    .optional()
    .meta({ description: 'sandbox "remote": the MCP Streamable HTTP endpoint' }),
  capabilities: z.array(z.enum(CAPABILITIES)).optional().meta({ description: 'Derived from tools, channels and hooks when absent' }),
  channels: z.array(nonEmpty).default([]),
  slots: z.array(z.enum(SLOTS)).default([]),
  hooks: z.array(nonEmpty).default([]),
  tools: z.array(toolDefSchema).default([]),
  minCallIntervalMs: z.int().nonnegative().max(MAX_TIMER_MS).default(0),
  timeoutMs: z.int().positive().max(MAX_TIMER_MS).default(DEFAULT_TIMEOUT_MS),
  startTimeoutMs: z
    .int()
    .positive()
    .max(MAX_TIMER_MS)
    .optional()
    .meta({ description: "Time for spawn, handshake and describe; default the host's startTimeoutMs (15000). timeoutMs bounds each call" }),
  requires: versionRange.optional().meta({ description: 'Semver range of host versions this plugin works with' }),
  requiresRsclaw: versionRange.optional().meta({ description: 'Alias of requires' }),
  browserCdn: browserCdnSchema.prefault({}),
  permissions: permissionsSchema.prefault({}),
  configSchema: jsonObject.optional().meta({ description: 'JSON Schema of the plugin configuration' }),
};

/** Every top-level key the schema reads; anything else lands in `extra`. */
export const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(manifestShape));

/** Parses a manifest document (already in native shape) into the normalized fields of `PluginManifest`. */
export const manifestSchema = z
  .looseObject(manifestShape)
  .meta({ title: 'clawdesk plugin manifest (plugin.json5)' })
  .transform((doc) => {
    const extra: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(doc)) {
      // zod already drops `__proto__`; skipping it here keeps `extra` safe on its own.
      if (!KNOWN_KEYS.has(key) && key !== '__proto__') extra[key] = value;
    }
    return {
      // `name ?? id` is always a string here: the rules reject a document with neither.
      name: doc.name ?? doc.id ?? '',
      ...(doc.displayName !== undefined && { displayName: doc.displayName }),
      version: doc.version,
      description: doc.description,
      author: doc.author,
      runtime: doc.runtime,
      sandbox: doc.sandbox ?? (doc.runtime === 'wasm' ? 'wasm' : 'process'),
      entry: doc.entry ?? doc.entryPoint ?? doc.entry_point ?? DEFAULT_ENTRY,
      args: doc.args,
      ...(doc.url !== undefined && { url: doc.url }),
      capabilities: doc.capabilities ?? impliedCapabilities(doc),
      channels: doc.channels,
      slots: doc.slots,
      hooks: doc.hooks,
      tools: doc.tools,
      minCallIntervalMs: doc.minCallIntervalMs,
      timeoutMs: doc.timeoutMs,
      ...(doc.startTimeoutMs !== undefined && { startTimeoutMs: doc.startTimeoutMs }),
      ...((doc.requires ?? doc.requiresRsclaw) !== undefined && { requires: doc.requires ?? doc.requiresRsclaw }),
      browserCdn: doc.browserCdn,
      permissions: doc.permissions,
      ...(doc.configSchema !== undefined && { configSchema: doc.configSchema }),
      extra,
    };
  });

export type ToolDef = z.output<typeof toolDefSchema>;
export type DownloadRule = z.output<typeof downloadRuleSchema>;
export type BrowserCdnConfig = z.output<typeof browserCdnSchema>;
export type PluginPermissions = z.output<typeof permissionsSchema>;

/** A validated, normalized manifest: every default filled in, aliases resolved, unknown fields in `extra`. */
export interface PluginManifest extends z.output<typeof manifestSchema> {
  /** Absolute plugin directory. */
  dir: string;
  /** The manifest file read (absolute from `loadManifest`; as given to `parseManifest`). */
  manifestFile: string;
  format: ManifestFormat;
}
