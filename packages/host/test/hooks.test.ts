import type { PluginModule } from '@clawdesk/sandbox';
import { ChannelNotFoundError } from '../src/index.js';
import { manifest, rejection, thrown, withHost } from './helpers.js';

const listener = (tag: string, calls: string[]): (() => PluginModule) => () => ({
  tools: {},
  hooks: {
    on_message: (payload) => {
      calls.push(tag);
      if (tag === 'bad') throw new Error('listener blew up');
      return { seen: payload.text, by: tag };
    },
  },
});

const transformer = (fn: (m: { text: string }) => unknown): (() => PluginModule) => () => ({ tools: {}, hooks: { message_transform: fn } });

describe('hooks', () => {
  test('dispatch delivers to every active subscriber in load order and collects their answers', async () => {
    const calls: string[] = [];
    await withHost({ modules: { b: listener('b', calls), a: listener('a', calls), c: listener('c', calls) } }, async ({ host }) => {
      await host.load(manifest('b', { hooks: ['on_message'] }));
      await host.load(manifest('a', { hooks: ['on_message'] }));
      await host.load(manifest('c', { hooks: ['on_message'] }), { start: false });
      const outcomes = await host.dispatch('on_message', { text: 'hi' });
      expect(calls).toEqual(['b', 'a']);
      expect(outcomes).toEqual([
        { plugin: 'b', ok: true, value: { seen: 'hi', by: 'b' } },
        { plugin: 'a', ok: true, value: { seen: 'hi', by: 'a' } },
      ]);
      expect(await host.dispatch('nobody_listens', {})).toEqual([]);
    });
  });

  test('a subscriber that fails does not stop the others; it is reported in its outcome and as an error event', async () => {
    const calls: string[] = [];
    await withHost({ modules: { first: listener('first', calls), bad: listener('bad', calls), last: listener('last', calls) } }, async ({ host, errors }) => {
      for (const name of ['first', 'bad', 'last']) await host.load(manifest(name, { hooks: ['on_message'] }));
      const outcomes = await host.dispatch('on_message', { text: 'x' });
      expect(calls).toEqual(['first', 'bad', 'last']);
      expect(outcomes.map((o) => [o.plugin, o.ok])).toEqual([
        ['first', true],
        ['bad', false],
        ['last', true],
      ]);
      const failure = outcomes[1];
      expect(failure?.ok === false && failure.error).toMatchObject({ code: 'TOOL_ERROR', plugin: 'bad', data: { hook: 'on_message' } });
      expect(errors).toEqual([{ operation: 'dispatch', plugin: 'bad', hook: 'on_message', error: failure?.ok === false ? failure.error : undefined }]);
    });
  });

  test('transformMessage runs the message_transform chain in load order; a transform that throws is skipped and the message survives', async () => {
    const modules = {
      upper: transformer((m) => ({ text: m.text.toUpperCase() })),
      hostile: transformer(() => {
        throw new Error('transform exploded');
      }),
      unchanged: transformer(() => undefined),
      exclaim: transformer((m) => ({ text: `${m.text}!` })),
    };
    await withHost({ modules }, async ({ host, errors }) => {
      for (const name of ['upper', 'hostile', 'unchanged', 'exclaim']) {
        await host.load(manifest(name, { capabilities: ['message_transform'], hooks: ['message_transform'] }));
      }
      expect(await host.transformMessage({ text: 'hello' })).toEqual({ text: 'HELLO!' });
      expect(errors.map((e) => [e.operation, e.plugin, e.hook, e.error.message])).toEqual([
        ['transform', 'hostile', 'message_transform', 'plugin "hostile" failed: hook "message_transform" threw: transform exploded'],
      ]);
    });
  });

  test('plugins without the message_transform capability are not part of the chain', async () => {
    await withHost({ modules: { sneaky: transformer(() => ({ text: 'hijacked' })) } }, async ({ host }) => {
      await host.load(manifest('sneaky', { capabilities: ['tool_call'], hooks: ['message_transform'] }));
      expect(await host.transformMessage({ text: 'mine' })).toEqual({ text: 'mine' });
    });
  });
});

describe('channels and slots', () => {
  const slack = (): PluginModule => ({ tools: {}, hooks: { 'channel:slack': (payload) => ({ delivered: payload }) } });

  test('channel(name).send goes to the owning plugin through hook channel:<name>', async () => {
    await withHost({ modules: { slack } }, async ({ host }) => {
      await host.load(manifest('slack', { capabilities: ['channel_adapter'], channels: ['slack'] }));
      const channel = host.channel('slack');
      expect(channel.plugin).toBe('slack');
      expect(await channel.send({ to: '#general', text: 'hi' })).toEqual({ delivered: { to: '#general', text: 'hi' } });
    });
  });

  test('an unknown channel is CHANNEL_NOT_FOUND; a second claimant of a channel fails to load with CHANNEL_CONFLICT', async () => {
    await withHost({ modules: { slack, other: slack } }, async ({ host }) => {
      await host.load(manifest('slack', { capabilities: ['channel_adapter'], channels: ['slack'] }));
      const missing = thrown(() => host.channel('irc'));
      expect(missing).toBeInstanceOf(ChannelNotFoundError);
      expect(missing).toMatchObject({ code: 'CHANNEL_NOT_FOUND', data: { channel: 'irc', known: ['slack'] } });
      const conflict = await rejection(host.load(manifest('other', { capabilities: ['channel_adapter'], channels: ['slack'] })));
      expect(conflict).toMatchObject({ code: 'CHANNEL_CONFLICT', data: { channel: 'slack', owner: 'slack', claimant: 'other' } });
      expect(host.get('other')).toBeUndefined();
    });
  });

  test('sending to a channel whose plugin is stopped is NOT_ACTIVE', async () => {
    await withHost({ modules: { slack } }, async ({ host }) => {
      await host.load(manifest('slack', { capabilities: ['channel_adapter'], channels: ['slack'] }));
      await host.stop('slack');
      expect((await rejection(host.channel('slack').send({}))).code).toBe('NOT_ACTIVE');
    });
  });

  test('a second memory plugin gets SLOT_CONFLICT unless it replaces the first explicitly', async () => {
    const mem = (): PluginModule => ({ tools: {} });
    await withHost({ modules: { 'mem-a': mem, 'mem-b': mem } }, async ({ host }) => {
      await host.load(manifest('mem-a', { slots: ['memory'] }));
      const err = await rejection(host.load(manifest('mem-b', { slots: ['memory'] })));
      expect(err).toMatchObject({ code: 'SLOT_CONFLICT', data: { slot: 'memory', holder: 'mem-a', claimant: 'mem-b' } });
      await host.load(manifest('mem-b', { slots: ['memory'] }), { replaceSlots: true });
      expect(host.registry.slotHolder('memory')?.name).toBe('mem-b');
      expect(host.get('mem-a')?.slots).toEqual([]);
    });
  });
});
