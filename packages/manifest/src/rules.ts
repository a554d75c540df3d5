/**
 * Rules spanning several fields. They read the raw document, beside the schema and not after it,
 * so one pass reports every problem even when single fields already failed; hence the type checks.
 */
import { CAPABILITIES, RUNTIMES, SANDBOX_KINDS, type Capability } from './kinds.js';
import { isRecord } from './object.js';

export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

type Doc = Record<string, unknown>;

export const ENTRY_KEYS = ['entry', 'entryPoint', 'entry_point'] as const;

/** Fields that name the same thing; the first one present wins, so a second one is a mistake. */
const ALIASES: readonly (readonly string[])[] = [ENTRY_KEYS, ['requires', 'requiresRsclaw']];

const HOOK_MESSAGE_TRANSFORM = 'message_transform';

/**
 * The capabilities a plugin's declarations imply, in `CAPABILITIES` order:
 * tools → tool_call, the `message_transform` hook → message_transform,
 * channels → channel_adapter, any other hook → event_listener.
 */
export function impliedCapabilities(decl: { tools: readonly unknown[]; channels: readonly unknown[]; hooks: readonly unknown[] }): Capability[] {
  const implied = new Set<Capability>();
  if (decl.tools.length > 0) implied.add('tool_call');
  if (decl.hooks.includes(HOOK_MESSAGE_TRANSFORM)) implied.add('message_transform');
  if (decl.channels.length > 0) implied.add('channel_adapter');
  if (decl.hooks.some((h) => h !== HOOK_MESSAGE_TRANSFORM)) implied.add('event_listener');
  return CAPABILITIES.filter((c) => implied.has(c));
}

const CAPABILITY_REASON: Record<Capability, string> = {
  tool_call: 'the declared tools',
  message_transform: 'the "message_transform" hook',
  channel_adapter: 'the declared channels',
  event_listener: 'the declared hooks',
};
const known = (values: readonly string[], v: unknown): boolean => values.includes(v as string);

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function nameRequired(doc: Doc): RuleProblem[] {
  return doc['name'] === undefined && doc['id'] === undefined
    ? [{ path: ['name'], message: 'required: give the plugin a "name" (or "id")' }]
    : [];
}

function singleAlias(doc: Doc): RuleProblem[] {
  return ALIASES.flatMap((group) => {
    const present = group.filter((k) => doc[k] !== undefined);
    return present.slice(1).map((k) => ({
      path: [k],
      message: `conflicts with "${present[0]}"; give only one of ${group.map((g) => `"${g}"`).join(', ')}`,
    }));
  });
}

function sandboxFitsRuntime(doc: Doc): RuleProblem[] {
  const { runtime = 'node', sandbox } = doc;
  // Unknown values are the schema's to report.
  if (!known(RUNTIMES, runtime) || !known(SANDBOX_KINDS, sandbox)) return [];
  if (sandbox === 'wasm' && runtime !== 'wasm') {
    return [{ path: ['sandbox'], message: `"wasm" needs runtime "wasm", got runtime "${runtime}"` }];
  }
  if (runtime === 'wasm' && sandbox !== 'wasm') {
    return [{ path: ['sandbox'], message: `runtime "wasm" runs only in the "wasm" sandbox, got "${sandbox}"` }];
  }
  return [];
}

/** A remote plugin is its URL; any other kind runs a local entry, so a URL there would be ignored silently. */
function urlFitsSandbox(doc: Doc): RuleProblem[] {
  const hasUrl = doc['url'] !== undefined;
  if (doc['sandbox'] === 'remote' && !hasUrl) return [{ path: ['url'], message: 'is required with sandbox "remote" (the MCP endpoint, e.g. "https://tools.example.com/mcp")' }];
  if (doc['sandbox'] !== 'remote' && hasUrl) return [{ path: ['url'], message: `is only for sandbox "remote", got sandbox ${JSON.stringify(doc['sandbox'] ?? null)}` }];
  return [];
}

function capabilitiesCoverDeclarations(doc: Doc): RuleProblem[] {
  if (!Array.isArray(doc['capabilities'])) return [];
  const declared = doc['capabilities'];
  const implied = impliedCapabilities({ tools: list(doc['tools']), channels: list(doc['channels']), hooks: list(doc['hooks']) });
  return implied
    .filter((c) => !declared.includes(c))
    .map((c) => ({ path: ['capabilities'], message: `lacks "${c}", needed by ${CAPABILITY_REASON[c]}` }));
}

function uniqueToolNames(doc: Doc): RuleProblem[] {
  const firstIndex = new Map<string, number>();
  const problems: RuleProblem[] = [];
  list(doc['tools']).forEach((tool, i) => {
    const name = isRecord(tool) ? tool['name'] : undefined;
    if (typeof name !== 'string') return;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, i);
    else problems.push({ path: ['tools', i, 'name'], message: `duplicate tool name "${name}" (first at tools[${first}])` });
  });
  return problems;
}

const RULES = [nameRequired, singleAlias, sandboxFitsRuntime, urlFitsSandbox, capabilitiesCoverDeclarations, uniqueToolNames];

export function checkRules(doc: Doc): RuleProblem[] {
  return RULES.flatMap((rule) => rule(doc));
}
