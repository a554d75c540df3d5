import { HookTable, mergeResults, splitPayload } from '../../src/child/hooks.js';

const signal = new AbortController().signal;

function env() {
  const errors: string[] = [];
  return { errors, env: { baseContext: { pluginId: 'p', workspaceDir: '/data' }, logError: (m: string) => errors.push(m) } };
}

describe('HookTable', () => {
  test('typed handlers run highest priority first, ties in registration order, and get (event, ctx)', async () => {
    const table = new HookTable();
    const calls: string[] = [];
    table.add('h', { kind: 'typed', priority: 0, fn: () => void calls.push('a') });
    table.add('h', { kind: 'typed', priority: 5, fn: (_e, ctx) => void calls.push(`b:${(ctx as { sessionKey: string }).sessionKey}`) });
    table.add('h', { kind: 'typed', priority: 0, fn: (e) => void calls.push(`c:${(e as { n: number }).n}`) });
    const { env: e } = env();
    expect(await table.run('h', { event: { n: 1 }, context: { sessionKey: 's' } }, signal, e)).toBeNull();
    expect(calls).toEqual(['b:s', 'a', 'c:1']);
  });

  test('the typed context carries the base context, the dispatch context and the signal', async () => {
    const table = new HookTable();
    let seen: Record<string, unknown> = {};
    table.add('h', { kind: 'typed', priority: 0, fn: (_e, ctx) => void (seen = ctx as Record<string, unknown>) });
    await table.run('h', { event: {}, context: { agentId: 'a1', workspaceDir: '/ws' } }, signal, env().env);
    expect(seen).toEqual({ pluginId: 'p', workspaceDir: '/ws', agentId: 'a1', signal });
  });

  test('internal handlers chain: each gets what the previous returned, and the last object is the answer', async () => {
    const table = new HookTable();
    table.add('h', { kind: 'internal', priority: 0, fn: (p) => ({ ...(p as object), a: 1 }) });
    table.add('h', { kind: 'internal', priority: 0, fn: () => undefined });
    table.add('h', { kind: 'internal', priority: 0, fn: (p) => ({ ...(p as object), b: 2 }) });
    expect(await table.run('h', { x: 0 }, signal, env().env)).toEqual({ x: 0, a: 1, b: 2 });
  });

  test('a failing handler is logged and skipped; the dispatch fails only when every handler failed', async () => {
    const table = new HookTable();
    table.add('h', { kind: 'internal', priority: 0, label: 'first', fn: () => { throw new Error('nope'); } });
    table.add('h', { kind: 'typed', priority: 0, fn: () => ({ ok: true }) });
    const { errors, env: e } = env();
    expect(await table.run('h', {}, signal, e)).toEqual({ ok: true });
    expect(errors).toEqual(['hook "h" (first) threw Error: nope']);

    const broken = new HookTable();
    broken.add('h', { kind: 'typed', priority: 0, fn: async () => { throw new Error('always'); } });
    await expect(broken.run('h', {}, signal, env().env)).rejects.toThrow('always');
  });

  test('toModuleHooks gives one clawdesk hook per registered name', async () => {
    const table = new HookTable();
    table.add('a', { kind: 'typed', priority: 0, fn: (e) => ({ got: e }) });
    table.add('b:c', { kind: 'internal', priority: 0, fn: () => undefined });
    const hooks = table.toModuleHooks(env().env);
    expect(Object.keys(hooks)).toEqual(['a', 'b:c']);
    expect(await hooks.a!(7, { signal } as never)).toEqual({ got: 7 });
  });
});

describe('splitPayload', () => {
  test.each([
    ['an { event, context } envelope', { event: { a: 1 }, context: { s: 1 } }, { event: { a: 1 }, context: { s: 1 } }],
    ['a plain event', { a: 1 }, { event: { a: 1 }, context: {} }],
    ['an envelope with more keys (an event that happens to have event and context)', { event: 1, context: {}, x: 1 }, { event: { event: 1, context: {}, x: 1 }, context: {} }],
    ['a primitive', 'hi', { event: 'hi', context: {} }],
  ])('treats %s correctly', (_what, payload, expected) => {
    expect(splitPayload(payload)).toEqual(expected);
  });
});

describe('mergeResults', () => {
  test('joins …Context strings, lets later keys override, and keeps block: true', () => {
    const merged = [{ prependContext: 'a', systemPrompt: 'x', block: true }, { prependContext: 'b', systemPrompt: 'y', block: false }].reduce<
      Record<string, unknown> | undefined
    >((acc, r) => mergeResults(acc, r), undefined);
    expect(merged).toEqual({ prependContext: 'a\n\nb', systemPrompt: 'y', block: true });
  });
});
