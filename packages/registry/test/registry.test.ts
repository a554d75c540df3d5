import { ToolNotFoundError } from '@clawdesk/sandbox';
import {
  AmbiguousToolError,
  ChannelConflictError,
  DuplicatePluginError,
  InvalidTransitionError,
  NameMismatchError,
  PluginNotFoundError,
  PluginRegistry,
  RegistryError,
  SlotConflictError,
  type StateChange,
  type ToolsChange,
} from '../src/index.js';
import { manifest } from './manifest.js';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('plugins and their state', () => {
  test('list() returns plugins in load order and get() finds one by name', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('b') });
    reg.register({ manifest: manifest('a') });
    expect(reg.list().map((e) => e.name)).toEqual(['b', 'a']);
    expect(reg.get('a')?.state).toBe('resolved');
    expect(reg.get('missing')).toBeUndefined();
    expect(reg.has('b')).toBe(true);
  });

  test('registering the same name twice is a DuplicatePluginError', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('a') });
    const err = caught(() => reg.register({ manifest: manifest('a') }));
    expect(err).toBeInstanceOf(DuplicatePluginError);
    expect(err).toMatchObject({ code: 'DUPLICATE_PLUGIN', plugin: 'a', message: 'plugin "a" is already registered' });
  });

  test('require() of an unknown plugin names it and the registered ones', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('a') });
    const err = caught(() => reg.require('zzz'));
    expect(err).toBeInstanceOf(PluginNotFoundError);
    expect(err).toMatchObject({ code: 'PLUGIN_NOT_FOUND', data: { plugin: 'zzz', known: ['a'] } });
    expect(() => reg.unregister('zzz')).toThrow(PluginNotFoundError);
  });

  test('each state change is an event carrying plugin, from and to', () => {
    const reg = new PluginRegistry();
    const seen: StateChange[] = [];
    reg.on('state', (c) => seen.push(c));
    reg.register({ manifest: manifest('a') });
    reg.setState('a', 'loaded');
    reg.setState('a', 'active');
    const boom = new Error('boom');
    reg.setState('a', 'failed', boom);
    expect(seen).toEqual([
      { plugin: 'a', from: 'resolved', to: 'loaded' },
      { plugin: 'a', from: 'loaded', to: 'active' },
      { plugin: 'a', from: 'active', to: 'failed', error: boom },
    ]);
    expect(reg.get('a')).toMatchObject({ state: 'failed', error: boom });
  });

  test('an invalid transition throws INVALID_TRANSITION naming plugin, from and to, and changes nothing', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('a') });
    const events: StateChange[] = [];
    reg.on('state', (c) => events.push(c));
    const err = caught(() => reg.setState('a', 'active'));
    expect(err).toBeInstanceOf(InvalidTransitionError);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({
      code: 'INVALID_TRANSITION',
      plugin: 'a',
      from: 'resolved',
      to: 'active',
      data: { plugin: 'a', from: 'resolved', to: 'active', allowed: ['loaded', 'failed'] },
    });
    expect(reg.get('a')?.state).toBe('resolved');
    expect(events).toEqual([]);
  });

  test('a failed plugin can only go back to loaded', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('a'), state: 'failed' });
    expect(() => reg.setState('a', 'active')).toThrow(InvalidTransitionError);
    expect(reg.setState('a', 'loaded').state).toBe('loaded');
    expect(reg.get('a')?.error).toBeUndefined();
  });

  test('two registries share nothing', () => {
    const one = new PluginRegistry();
    const two = new PluginRegistry();
    one.register({ manifest: manifest('a', { channels: ['slack'], slots: ['memory'] }) });
    expect(two.list()).toEqual([]);
    expect(() => two.register({ manifest: manifest('b', { channels: ['slack'], slots: ['memory'] }) })).not.toThrow();
  });

  test('unregister emits the removed entry and frees its name', () => {
    const reg = new PluginRegistry();
    const removed: string[] = [];
    reg.on('unregistered', ({ entry }) => removed.push(entry.name));
    reg.register({ manifest: manifest('a') });
    reg.unregister('a');
    expect(removed).toEqual(['a']);
    expect(reg.list()).toEqual([]);
    expect(reg.register({ manifest: manifest('a') }).name).toBe('a');
  });
});

describe('tool index', () => {
  function twoSearchers() {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('web', { toolNames: ['search', 'fetch'] }) });
    reg.register({ manifest: manifest('docs', { toolNames: ['search'] }) });
    return reg;
  }

  test('a bare name offered by two plugins is an AmbiguousToolError listing both qualified names', () => {
    const err = caught(() => twoSearchers().resolveTool('search'));
    expect(err).toBeInstanceOf(AmbiguousToolError);
    expect(err).toMatchObject({
      code: 'AMBIGUOUS_TOOL',
      candidates: ['web.search', 'docs.search'],
      message: 'tool "search" is offered by 2 plugins; use one of: web.search, docs.search',
    });
  });

  test('qualified plugin.tool always resolves, and a unique bare name resolves too', () => {
    const reg = twoSearchers();
    expect(reg.resolveTool('docs.search')).toMatchObject({ plugin: 'docs', qualifiedName: 'docs.search', tool: { name: 'search' } });
    expect(reg.resolveTool('web.search').plugin).toBe('web');
    expect(reg.resolveTool('fetch')).toMatchObject({ plugin: 'web', qualifiedName: 'web.fetch' });
  });

  test('an unknown tool is a ToolNotFoundError listing what exists', () => {
    const reg = twoSearchers();
    const err = caught(() => reg.resolveTool('nope'));
    expect(err).toBeInstanceOf(ToolNotFoundError);
    expect(err).toMatchObject({ code: 'TOOL_NOT_FOUND', data: { available: ['web.search', 'web.fetch', 'docs.search'] } });
    const scoped = caught(() => reg.resolveTool('docs.fetch'));
    expect(scoped).toMatchObject({ code: 'TOOL_NOT_FOUND', plugin: 'docs', tool: 'fetch', data: { available: ['search'] } });
  });

  test('plugin names and tool names containing dots still resolve', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('acme.web', { toolNames: ['search'] }) });
    reg.register({ manifest: manifest('acme', { toolNames: ['web.search'] }) });
    expect(reg.resolveTool('acme.web.search').plugin).toBe('acme.web');
    expect(reg.resolveTool('web.search').plugin).toBe('acme');
  });

  test('clashes are reported in tools events and toolConflicts()', () => {
    const reg = new PluginRegistry();
    const changes: ToolsChange[] = [];
    reg.on('tools', (c) => changes.push(c));
    reg.register({ manifest: manifest('web', { toolNames: ['search'] }) });
    reg.register({ manifest: manifest('docs', { toolNames: ['search', 'read'] }) });
    expect(changes).toEqual([
      { plugin: 'web', tools: ['web.search'], conflicts: [] },
      { plugin: 'docs', tools: ['docs.search', 'docs.read'], conflicts: [{ tool: 'search', candidates: ['web.search', 'docs.search'] }] },
    ]);
    expect(reg.toolConflicts()).toEqual([{ tool: 'search', candidates: ['web.search', 'docs.search'] }]);
    reg.unregister('web');
    expect(changes.at(-1)).toEqual({ plugin: 'web', tools: [], conflicts: [] });
    expect(reg.resolveTool('search').plugin).toBe('docs');
  });

  test('a failed plugin offers no tools until it is loaded again', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('web', { toolNames: ['search'] }), state: 'active' });
    reg.register({ manifest: manifest('broken', { toolNames: ['search'] }) });
    expect(() => reg.resolveTool('search')).toThrow(AmbiguousToolError);
    const changes: ToolsChange[] = [];
    reg.on('tools', (c) => changes.push(c));
    reg.setState('broken', 'failed', new Error('no driver'));
    expect(reg.resolveTool('search').plugin).toBe('web');
    expect(() => reg.resolveTool('broken.search')).toThrow(ToolNotFoundError);
    expect(changes).toEqual([{ plugin: 'broken', tools: [], conflicts: [] }]);
    reg.setState('broken', 'loaded');
    expect(changes.at(-1)).toEqual({ plugin: 'broken', tools: ['broken.search'], conflicts: [{ tool: 'search', candidates: ['web.search', 'broken.search'] }] });
  });

  test('update() records described tools and hooks and announces the new tool set', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('a', { toolNames: ['x'] }) });
    const changes: ToolsChange[] = [];
    reg.on('tools', (c) => changes.push(c));
    reg.update('a', { tools: [{ name: 'x', description: 'x tool' }] });
    expect(changes).toEqual([]);
    reg.update('a', { tools: [{ name: 'y', description: 'y' }], hooks: ['on_start'], driver: 'native' });
    expect(changes).toEqual([{ plugin: 'a', tools: ['a.y'], conflicts: [] }]);
    expect(reg.get('a')).toMatchObject({ hooks: ['on_start'], driver: 'native' });
    expect(reg.tools().map((t) => t.qualifiedName)).toEqual(['a.y']);
  });
});

describe('hooks, channels and slots', () => {
  test('hook subscribers and capability holders come in load order', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('c', { hooks: ['on_msg'], capabilities: ['message_transform'] }) });
    reg.register({ manifest: manifest('a', { hooks: ['other'] }) });
    reg.register({ manifest: manifest('b', { hooks: ['on_msg'], capabilities: ['message_transform'] }) });
    expect(reg.hookSubscribers('on_msg').map((e) => e.name)).toEqual(['c', 'b']);
    expect(reg.withCapability('message_transform').map((e) => e.name)).toEqual(['c', 'b']);
    expect(reg.hookSubscribers('none')).toEqual([]);
  });

  test('a second plugin claiming a channel is a ChannelConflictError naming both', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('slack-a', { channels: ['slack'] }) });
    const err = caught(() => reg.register({ manifest: manifest('slack-b', { channels: ['slack'] }) }));
    expect(err).toBeInstanceOf(ChannelConflictError);
    expect(err).toMatchObject({ code: 'CHANNEL_CONFLICT', data: { channel: 'slack', owner: 'slack-a', claimant: 'slack-b' } });
    expect(reg.has('slack-b')).toBe(false);
    expect(reg.channelOwner('slack')?.name).toBe('slack-a');
    expect(reg.channels()).toEqual({ slack: 'slack-a' });
    reg.unregister('slack-a');
    expect(reg.channelOwner('slack')).toBeUndefined();
    reg.register({ manifest: manifest('slack-b', { channels: ['slack'] }) });
    expect(reg.channelOwner('slack')?.name).toBe('slack-b');
  });

  test('a second claimant of an exclusive slot gets a SlotConflictError', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('mem-a', { slots: ['memory'] }) });
    const err = caught(() => reg.register({ manifest: manifest('mem-b', { slots: ['memory', 'context_engine'] }) }));
    expect(err).toBeInstanceOf(SlotConflictError);
    expect(err).toMatchObject({ code: 'SLOT_CONFLICT', data: { slot: 'memory', holder: 'mem-a', claimant: 'mem-b' } });
    expect((err as Error).message).toContain('replaceSlots');
    expect(reg.has('mem-b')).toBe(false);
    expect(reg.slotHolder('context_engine')).toBeUndefined();
  });

  test('replaceSlots takes the slot over explicitly and the previous holder loses it', () => {
    const reg = new PluginRegistry();
    const slotEvents: unknown[] = [];
    reg.on('slot', (c) => slotEvents.push(c));
    reg.register({ manifest: manifest('mem-a', { slots: ['memory'] }) });
    reg.register({ manifest: manifest('mem-b', { slots: ['memory'] }) }, { replaceSlots: true });
    expect(reg.slotHolder('memory')?.name).toBe('mem-b');
    expect(reg.get('mem-a')?.slots).toEqual([]);
    expect(reg.get('mem-b')?.slots).toEqual(['memory']);
    expect(slotEvents).toEqual([
      { slot: 'memory', from: undefined, to: 'mem-a' },
      { slot: 'memory', from: 'mem-a', to: 'mem-b' },
    ]);
    reg.unregister('mem-b');
    expect(reg.slotHolder('memory')).toBeUndefined();
  });
});

describe('replace (atomic swap for hot reload)', () => {
  test('swaps the entry in one step, keeping load order and state', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('a', { toolNames: ['old'], hooks: ['h'] }) });
    reg.register({ manifest: manifest('b', { hooks: ['h'] }) });
    reg.setState('a', 'loaded');
    const seen: string[] = [];
    reg.on('replaced', ({ previous, entry }) => {
      // Listeners already see the new entry in place.
      seen.push(`${previous.manifest.version}->${entry.manifest.version}:${reg.get('a')?.manifest.version}`);
    });
    const tools: ToolsChange[] = [];
    reg.on('tools', (c) => tools.push(c));
    const next = reg.replace('a', { manifest: manifest('a', { version: '2.0.0', toolNames: ['new'], hooks: ['h'] }) });
    expect(seen).toEqual(['1.0.0->2.0.0:2.0.0']);
    expect(next).toMatchObject({ state: 'loaded', loadOrder: 0 });
    expect(reg.list().map((e) => e.name)).toEqual(['a', 'b']);
    expect(reg.hookSubscribers('h').map((e) => e.name)).toEqual(['a', 'b']);
    expect(tools).toEqual([{ plugin: 'a', tools: ['a.new'], conflicts: [] }]);
    expect(() => reg.resolveTool('a.old')).toThrow(ToolNotFoundError);
  });

  test('replace with a new state emits the transition, and an invalid one changes nothing', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('a'), state: 'failed' });
    const events: StateChange[] = [];
    reg.on('state', (c) => events.push(c));
    expect(() => reg.replace('a', { manifest: manifest('a', { version: '2.0.0' }), state: 'active' })).toThrow(InvalidTransitionError);
    expect(reg.get('a')?.manifest.version).toBe('1.0.0');
    reg.replace('a', { manifest: manifest('a', { version: '2.0.0' }), state: 'loaded' });
    expect(events).toEqual([{ plugin: 'a', from: 'failed', to: 'loaded' }]);
  });

  test('a replacement that conflicts leaves the old entry untouched', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('a', { channels: ['irc'], slots: ['memory'] }) });
    reg.register({ manifest: manifest('b', { channels: ['slack'] }) });
    expect(() => reg.replace('a', { manifest: manifest('a', { version: '2.0.0', channels: ['slack'] }) })).toThrow(ChannelConflictError);
    expect(reg.get('a')?.manifest.version).toBe('1.0.0');
    expect(reg.channels()).toEqual({ irc: 'a', slack: 'b' });
    expect(reg.slotHolder('memory')?.name).toBe('a');
  });

  test('a replacement keeps its own claims and drops the ones it no longer declares', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('a', { channels: ['irc', 'slack'], slots: ['memory', 'context_engine'] }) });
    reg.replace('a', { manifest: manifest('a', { channels: ['irc'], slots: ['memory'] }) });
    expect(reg.channels()).toEqual({ irc: 'a' });
    expect(reg.get('a')?.slots).toEqual(['memory']);
    expect(reg.slotHolder('context_engine')).toBeUndefined();
  });

  test('a replacement under another name is a NameMismatchError', () => {
    const reg = new PluginRegistry();
    reg.register({ manifest: manifest('a') });
    const err = caught(() => reg.replace('a', { manifest: manifest('b') }));
    expect(err).toBeInstanceOf(NameMismatchError);
    expect(err).toMatchObject({ code: 'NAME_MISMATCH', data: { expected: 'a', received: 'b' } });
  });
});
