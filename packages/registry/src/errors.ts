import type { PluginState } from './states.js';

/**
 * Errors the registry throws. Callers branch on `code`; `data` carries the details named per class.
 */
export type RegistryErrorCode =
  | 'AMBIGUOUS_TOOL'
  | 'CHANNEL_CONFLICT'
  | 'DUPLICATE_PLUGIN'
  | 'INVALID_TRANSITION'
  | 'NAME_MISMATCH'
  | 'PLUGIN_NOT_FOUND'
  | 'SLOT_CONFLICT';

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly plugin: string | undefined;
  readonly data: Record<string, unknown>;

  constructor(code: RegistryErrorCode, message: string, opts: { plugin?: string; data?: Record<string, unknown> } = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.plugin = opts.plugin;
    this.data = opts.data ?? {};
  }
}

/** `data`: `{ plugin }`. */
export class DuplicatePluginError extends RegistryError {
  constructor(plugin: string) {
    super('DUPLICATE_PLUGIN', `plugin "${plugin}" is already registered`, { plugin, data: { plugin } });
  }
}

/** `data`: `{ plugin, known }`. */
export class PluginNotFoundError extends RegistryError {
  constructor(plugin: string, known: string[] = []) {
    const list = known.length ? ` (registered: ${known.join(', ')})` : ' (no plugins registered)';
    super('PLUGIN_NOT_FOUND', `plugin "${plugin}" is not registered${list}`, { plugin, data: { plugin, known } });
  }
}

/** `data`: `{ tool, candidates }` — every qualified `plugin.tool` offering the bare name. */
export class AmbiguousToolError extends RegistryError {
  readonly candidates: string[];
  constructor(tool: string, candidates: string[]) {
    super('AMBIGUOUS_TOOL', `tool "${tool}" is offered by ${candidates.length} plugins; use one of: ${candidates.join(', ')}`, {
      data: { tool, candidates },
    });
    this.candidates = candidates;
  }
}

/** `data`: `{ channel, owner, claimant }`. */
export class ChannelConflictError extends RegistryError {
  constructor(channel: string, owner: string, claimant: string) {
    super('CHANNEL_CONFLICT', `channel "${channel}" is already handled by plugin "${owner}"; plugin "${claimant}" cannot claim it`, {
      plugin: claimant,
      data: { channel, owner, claimant },
    });
  }
}

/** `data`: `{ slot, holder, claimant }`. Pass `{ replaceSlots: true }` to take the slot over on purpose. */
export class SlotConflictError extends RegistryError {
  constructor(slot: string, holder: string, claimant: string) {
    super(
      'SLOT_CONFLICT',
      `slot "${slot}" is held by plugin "${holder}"; plugin "${claimant}" cannot claim it (pass { replaceSlots: true } to take it over)`,
      { plugin: claimant, data: { slot, holder, claimant } },
    );
  }
}

/** `data`: `{ plugin, from, to, allowed }`. */
export class InvalidTransitionError extends RegistryError {
  readonly from: PluginState;
  readonly to: PluginState;
  constructor(plugin: string, from: PluginState, to: PluginState, allowed: readonly PluginState[]) {
    super(
      'INVALID_TRANSITION',
      `plugin "${plugin}" cannot go from "${from}" to "${to}" (allowed from "${from}": ${allowed.join(', ') || 'none'})`,
      { plugin, data: { plugin, from, to, allowed: [...allowed] } },
    );
    this.from = from;
    this.to = to;
  }
}

/** `data`: `{ expected, received }`. */
export class NameMismatchError extends RegistryError {
  constructor(expected: string, received: string) {
    super('NAME_MISMATCH', `replacement for plugin "${expected}" is named "${received}"`, {
      plugin: expected,
      data: { expected, received },
    });
  }
}
