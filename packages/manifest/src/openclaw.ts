import type { Slot } from './kinds.js';
import { isRecord } from './object.js';
import { ENTRY_KEYS } from './rules.js';

/**
 * OpenClaw's `openclaw.plugin.json` rewritten into the native `plugin.json5` shape, plus how to
 * name native fields in problems so they point at what the author actually wrote.
 */
export interface OpenClawMapping {
  input: Record<string, unknown>;
  /** Native top-level field → the path shown in problems. */
  renames: Map<string, string>;
}

const KIND_SLOTS = new Map<string, Slot>([
  ['memory', 'memory'],
  ['context-engine', 'context_engine'],
  ['context_engine', 'context_engine'],
]);

/**
 * - `id` is the identifier and `name` the display name; without `id`, `name` stays the identifier
 *   (older manifests, as rsclaw reads them).
 * - `kind` fills `slots` when every kind is one we know; otherwise it stays in `extra`.
 * - `version` is the sibling `package.json`'s whenever it has one: that is the version npm installed,
 *   and several published plugins ship an `openclaw.plugin.json` whose `version` was never bumped.
 *   The manifest's own `version` counts only without a package.json version.
 * - `entry` comes from `package.json` (`openclaw.extensions[0]`) when the manifest lacks one.
 * Everything else (configSchema, channels, contracts, skills, uiHints…) passes through unchanged.
 */
export function fromOpenClaw(doc: Record<string, unknown>, packageJson: unknown): OpenClawMapping {
  const { id, name, kind, ...rest } = doc;
  const input: Record<string, unknown> = { ...rest };
  const renames = new Map<string, string>();

  if (id !== undefined) {
    input['name'] = id;
    renames.set('name', 'id');
    if (name !== undefined) {
      input['displayName'] = name;
      renames.set('displayName', 'name');
    }
  } else if (name !== undefined) {
    input['name'] = name;
  }

  if (kind !== undefined) {
    const slots = (Array.isArray(kind) ? kind : [kind]).map((k) => (typeof k === 'string' ? KIND_SLOTS.get(k) : undefined));
    const declared = input['slots'] ?? [];
    if (slots.length > 0 && slots.every((s) => s !== undefined) && Array.isArray(declared)) {
      input['slots'] = [...new Set([...declared, ...slots])];
    } else {
      input['kind'] = kind;
    }
  }

  const pkg = isRecord(packageJson) ? packageJson : {};
  if (pkg['version'] !== undefined) {
    input['version'] = pkg['version'];
    renames.set('version', 'package.json:version');
  }
  const hasEntry = ENTRY_KEYS.some((k) => input[k] !== undefined);
  const extensions = isRecord(pkg['openclaw']) ? pkg['openclaw']['extensions'] : undefined;
  if (!hasEntry && Array.isArray(extensions) && extensions.length > 0) {
    input['entry'] = extensions[0];
    renames.set('entry', 'package.json:openclaw.extensions[0]');
  }
  return { input, renames };
}
