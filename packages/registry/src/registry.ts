import { EventEmitter } from 'node:events';
import type { Capability, PluginManifest, Slot, ToolDef } from '@clawdesk/manifest';
import { ToolNotFoundError } from '@clawdesk/sandbox';
import {
  AmbiguousToolError,
  ChannelConflictError,
  DuplicatePluginError,
  InvalidTransitionError,
  NameMismatchError,
  PluginNotFoundError,
  SlotConflictError,
} from './errors.js';
import { canTransition, type PluginState, TRANSITIONS } from './states.js';
import { buildToolIndex, conflictsOf, qualify, type ToolConflict, type ToolIndexEntry } from './tool-index.js';

/** What the caller hands to `register` / `replace`. */
export interface RegistryEntryInput {
  manifest: PluginManifest;
  /** Default `'resolved'`. */
  state?: PluginState;
  /** Tools the plugin offers; default `manifest.tools` (the host passes what the running plugin described). */
  tools?: readonly ToolDef[];
  /** Hooks it subscribes to; default `manifest.hooks`. */
  hooks?: readonly string[];
  /** Sandbox kind serving it, for display. */
  driver?: string;
  /** Last failure, kept while the plugin is `failed`. */
  error?: Error;
}

export interface RegisterOptions {
  /** Take over exclusive slots (`memory`, `context_engine`) another plugin holds, instead of failing with `SlotConflictError`. */
  replaceSlots?: boolean;
}

/** One registered plugin. Entries are immutable snapshots; every change makes a new one. */
export interface RegistryEntry {
  readonly name: string;
  readonly manifest: PluginManifest;
  readonly state: PluginState;
  readonly tools: readonly ToolDef[];
  readonly hooks: readonly string[];
  readonly capabilities: readonly Capability[];
  /** Channels this plugin adapts (it owns each of them). */
  readonly channels: readonly string[];
  /** Exclusive slots this plugin currently holds (it may have lost one to a `replaceSlots` claimant). */
  readonly slots: readonly Slot[];
  /** Position in load order; kept across `replace`. */
  readonly loadOrder: number;
  readonly driver: string | undefined;
  readonly error: Error | undefined;
}

export interface StateChange {
  plugin: string;
  from: PluginState;
  to: PluginState;
  error?: Error;
}

export interface ToolsChange {
  plugin: string;
  /** Qualified names the plugin now offers (empty once unregistered). */
  tools: string[];
  /** Every bare-name clash across all plugins after the change. */
  conflicts: ToolConflict[];
}

export interface SlotChange {
  slot: Slot;
  from: string | undefined;
  to: string | undefined;
}

/** Event name → listener arguments, for the typed `EventEmitter`. */
export interface RegistryEvents {
  registered: [{ entry: RegistryEntry }];
  unregistered: [{ entry: RegistryEntry }];
  replaced: [{ previous: RegistryEntry; entry: RegistryEntry }];
  state: [StateChange];
  tools: [ToolsChange];
  slot: [SlotChange];
}

/**
 * Which plugins are loaded, in which state, and what they offer: tools (qualified and bare),
 * hook subscribers, channel adapters and exclusive slots. Holds no global state: make one per host.
 * Every mutation completes before its events are emitted.
 */
export class PluginRegistry extends EventEmitter<RegistryEvents> {
  // Map iteration order is load order: `replace` overwrites in place, `register` appends.
  readonly #entries = new Map<string, RegistryEntry>();
  readonly #channelOwners = new Map<string, string>();
  readonly #slotHolders = new Map<Slot, string>();
  #nextOrder = 0;
  #index: Map<string, ToolIndexEntry[]> | undefined;
  /** Successful `resolveTool` answers, so a hot call path does not re-scan names. */
  readonly #resolved = new Map<string, ToolIndexEntry>();

  /** All plugins in load order. */
  list(): RegistryEntry[] {
    return [...this.#entries.values()];
  }

  get(name: string): RegistryEntry | undefined {
    return this.#entries.get(name);
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Like `get`, but throws `PluginNotFoundError`. */
  require(name: string): RegistryEntry {
    const entry = this.#entries.get(name);
    if (!entry) throw new PluginNotFoundError(name, [...this.#entries.keys()]);
    return entry;
  }

  register(input: RegistryEntryInput, opts: RegisterOptions = {}): RegistryEntry {
    const name = input.manifest.name;
    if (this.#entries.has(name)) throw new DuplicatePluginError(name);
    this.#checkClaims(name, input.manifest, opts);
    const entry = this.#build(input, this.#nextOrder++);
    const slotChanges = this.#claim(name, input.manifest);
    this.#entries.set(name, this.#withHeldSlots(entry));
    this.#invalidate();
    const stored = this.require(name);
    this.emit('registered', { entry: stored });
    this.#emitSlots(slotChanges);
    if (visibleTools(stored).length) this.#emitTools(name);
    return stored;
  }

  unregister(name: string): RegistryEntry {
    const entry = this.require(name);
    this.#entries.delete(name);
    const slotChanges = this.#release(name, []);
    for (const [channel, owner] of this.#channelOwners) if (owner === name) this.#channelOwners.delete(channel);
    this.#invalidate();
    this.emit('unregistered', { entry });
    this.#emitSlots(slotChanges);
    if (visibleTools(entry).length) this.#emitTools(name);
    return entry;
  }

  /**
   * Atomically swaps the entry for `name` (hot reload): one step, same load order, claims
   * re-checked against everyone else, state kept unless `input.state` names an allowed
   * transition. On any error nothing changes.
   */
  replace(name: string, input: RegistryEntryInput, opts: RegisterOptions = {}): RegistryEntry {
    const previous = this.require(name);
    if (input.manifest.name !== name) throw new NameMismatchError(name, input.manifest.name);
    const to = input.state ?? previous.state;
    if (to !== previous.state && !canTransition(previous.state, to)) {
      throw new InvalidTransitionError(name, previous.state, to, TRANSITIONS[previous.state]);
    }
    this.#checkClaims(name, input.manifest, opts);
    const slotChanges = [...this.#release(name, input.manifest.slots), ...this.#claim(name, input.manifest)];
    for (const [channel, owner] of this.#channelOwners) {
      if (owner === name && !input.manifest.channels.includes(channel)) this.#channelOwners.delete(channel);
    }
    this.#entries.set(name, this.#withHeldSlots(this.#build({ ...input, state: to }, previous.loadOrder)));
    this.#invalidate();
    const entry = this.require(name);
    this.emit('replaced', { previous, entry });
    if (previous.state !== entry.state) {
      this.emit('state', { plugin: name, from: previous.state, to: entry.state, ...(entry.error ? { error: entry.error } : {}) });
    }
    this.#emitSlots(slotChanges);
    if (!sameTools(visibleTools(previous), visibleTools(entry))) this.#emitTools(name);
    return entry;
  }

  /** Moves a plugin to `to`; an edge not in `TRANSITIONS` throws `InvalidTransitionError` and changes nothing. */
  setState(name: string, to: PluginState, error?: Error): RegistryEntry {
    const entry = this.require(name);
    const from = entry.state;
    if (!canTransition(from, to)) throw new InvalidTransitionError(name, from, to, TRANSITIONS[from]);
    const next: RegistryEntry = Object.freeze({ ...entry, state: to, error: to === 'failed' ? error : undefined });
    this.#entries.set(name, next);
    const visibilityChanged = (from === 'failed') !== (to === 'failed');
    if (visibilityChanged) this.#invalidate();
    this.emit('state', { plugin: name, from, to, ...(error ? { error } : {}) });
    if (visibilityChanged && entry.tools.length) this.#emitTools(name);
    return next;
  }

  /** Records what the running plugin described (tools, hooks); emits `tools` when the tool set changed. */
  update(name: string, patch: { tools?: readonly ToolDef[]; hooks?: readonly string[]; driver?: string }): RegistryEntry {
    const entry = this.require(name);
    const next: RegistryEntry = Object.freeze({
      ...entry,
      tools: Object.freeze([...(patch.tools ?? entry.tools)]),
      hooks: Object.freeze([...(patch.hooks ?? entry.hooks)]),
      driver: patch.driver ?? entry.driver,
    });
    this.#entries.set(name, next);
    if (!sameTools(entry.tools, next.tools)) {
      this.#invalidate();
      if (next.state !== 'failed') this.#emitTools(name);
    }
    return next;
  }

  /** Every tool of every registered plugin not `failed` (a failed plugin offers nothing until reloaded), in load order. */
  tools(): ToolIndexEntry[] {
    return [...this.#toolIndex().values()].flat().sort((a, b) => this.#order(a.plugin) - this.#order(b.plugin));
  }

  /** Bare tool names offered by more than one plugin. */
  toolConflicts(): ToolConflict[] {
    return conflictsOf(this.#toolIndex());
  }

  /**
   * Finds a tool by qualified `plugin.tool` (always unambiguous) or by bare name (only when exactly
   * one plugin offers it). Throws `AmbiguousToolError` listing every candidate, or `ToolNotFoundError`.
   */
  resolveTool(name: string): ToolIndexEntry {
    const cached = this.#resolved.get(name);
    if (cached) return cached;
    const found = this.#resolveUncached(name);
    this.#resolved.set(name, found);
    return found;
  }

  #resolveUncached(name: string): ToolIndexEntry {
    const qualified = this.#resolveQualified(name);
    if (qualified && 'qualifiedName' in qualified) return qualified;
    const candidates = this.#toolIndex().get(name) ?? [];
    const [only] = candidates;
    if (only && candidates.length === 1) return only;
    if (candidates.length > 1) throw new AmbiguousToolError(name, candidates.map((c) => c.qualifiedName));
    if (qualified) {
      throw new ToolNotFoundError(qualified.tool, {
        plugin: qualified.plugin.name,
        available: visibleTools(qualified.plugin).map((t) => t.name),
      });
    }
    throw new ToolNotFoundError(name, { available: this.tools().map((t) => t.qualifiedName) });
  }

  /** Plugins subscribed to `hook`, in load order. */
  hookSubscribers(hook: string): RegistryEntry[] {
    return this.list().filter((e) => e.hooks.includes(hook));
  }

  /** Plugins declaring `capability`, in load order. */
  withCapability(capability: Capability): RegistryEntry[] {
    return this.list().filter((e) => e.capabilities.includes(capability));
  }

  /** The plugin adapting `channel`, if any. */
  channelOwner(channel: string): RegistryEntry | undefined {
    const owner = this.#channelOwners.get(channel);
    return owner === undefined ? undefined : this.#entries.get(owner);
  }

  /** Channel name → plugin name. */
  channels(): Record<string, string> {
    return Object.fromEntries(this.#channelOwners);
  }

  /** The plugin holding an exclusive slot, if any. */
  slotHolder(slot: Slot): RegistryEntry | undefined {
    const holder = this.#slotHolders.get(slot);
    return holder === undefined ? undefined : this.#entries.get(holder);
  }

  #checkClaims(name: string, manifest: PluginManifest, opts: RegisterOptions): void {
    for (const channel of manifest.channels) {
      const owner = this.#channelOwners.get(channel);
      if (owner !== undefined && owner !== name) throw new ChannelConflictError(channel, owner, name);
    }
    if (opts.replaceSlots) return;
    for (const slot of manifest.slots) {
      const holder = this.#slotHolders.get(slot);
      if (holder !== undefined && holder !== name) throw new SlotConflictError(slot, holder, name);
    }
  }

  /** Takes the manifest's channels and slots (claims already checked); returns slot hand-overs. */
  #claim(name: string, manifest: PluginManifest): SlotChange[] {
    for (const channel of manifest.channels) this.#channelOwners.set(channel, name);
    const changes: SlotChange[] = [];
    for (const slot of manifest.slots) {
      const from = this.#slotHolders.get(slot);
      if (from === name) continue;
      this.#slotHolders.set(slot, name);
      changes.push({ slot, from, to: name });
      // The previous holder keeps running but no longer holds the slot.
      const loser = from === undefined ? undefined : this.#entries.get(from);
      if (loser) this.#entries.set(loser.name, this.#withHeldSlots(loser));
    }
    return changes;
  }

  /** Frees the slots `name` holds that are not in `keep`. */
  #release(name: string, keep: readonly Slot[]): SlotChange[] {
    const changes: SlotChange[] = [];
    for (const [slot, holder] of this.#slotHolders) {
      if (holder === name && !keep.includes(slot)) {
        this.#slotHolders.delete(slot);
        changes.push({ slot, from: name, to: undefined });
      }
    }
    return changes;
  }

  #build(input: RegistryEntryInput, loadOrder: number): RegistryEntry {
    const { manifest } = input;
    return Object.freeze({
      name: manifest.name,
      manifest,
      state: input.state ?? 'resolved',
      tools: Object.freeze([...(input.tools ?? manifest.tools)]),
      hooks: Object.freeze([...(input.hooks ?? manifest.hooks)]),
      capabilities: Object.freeze([...manifest.capabilities]),
      channels: Object.freeze([...manifest.channels]),
      slots: Object.freeze([]),
      loadOrder,
      driver: input.driver,
      error: input.error,
    });
  }

  #withHeldSlots(entry: RegistryEntry): RegistryEntry {
    const slots = entry.manifest.slots.filter((s) => this.#slotHolders.get(s) === entry.name);
    return Object.freeze({ ...entry, slots: Object.freeze(slots) });
  }

  #resolveQualified(name: string): ToolIndexEntry | { plugin: RegistryEntry; tool: string } | undefined {
    let best: { plugin: RegistryEntry; tool: string } | undefined;
    // Plugin names may contain dots: prefer the longest registered prefix.
    for (const entry of this.#entries.values()) {
      if (name.startsWith(`${entry.name}.`) && (!best || entry.name.length > best.plugin.name.length)) {
        best = { plugin: entry, tool: name.slice(entry.name.length + 1) };
      }
    }
    if (!best) return undefined;
    const { plugin, tool } = best;
    const def = visibleTools(plugin).find((t) => t.name === tool);
    return def ? { qualifiedName: name, plugin: plugin.name, tool: def } : best;
  }

  #invalidate(): void {
    this.#index = undefined;
    this.#resolved.clear();
  }

  #toolIndex(): Map<string, ToolIndexEntry[]> {
    this.#index ??= buildToolIndex([...this.#entries.values()].map((e) => ({ name: e.name, tools: visibleTools(e) })));
    return this.#index;
  }

  #order(plugin: string): number {
    return this.#entries.get(plugin)?.loadOrder ?? Number.MAX_SAFE_INTEGER;
  }

  #emitSlots(changes: SlotChange[]): void {
    for (const change of changes) this.emit('slot', change);
  }

  #emitTools(plugin: string): void {
    const entry = this.#entries.get(plugin);
    const tools = entry ? visibleTools(entry).map((t) => qualify(plugin, t.name)) : [];
    this.emit('tools', { plugin, tools, conflicts: this.toolConflicts() });
  }
}

/** What a plugin contributes to the tool index: nothing while `failed`. */
function visibleTools(entry: RegistryEntry): readonly ToolDef[] {
  return entry.state === 'failed' ? [] : entry.tools;
}

function sameTools(a: readonly ToolDef[], b: readonly ToolDef[]): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
