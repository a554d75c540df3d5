import type { PluginCallContext } from '@clawdesk/sandbox';
import { z } from 'zod';
import { definePlugin, hook, InvalidInputError, type Plugin, PluginDefinitionError, tool } from '../src/index.js';

const ctx: PluginCallContext = {
  signal: new AbortController().signal,
  log: { debug() {}, info() {}, warn() {}, error() {} },
  config: { units: 'metric' },
  dataDir: '/tmp/weather',
  browserDownload: async () => ({ path: '/tmp/weather/a.png', bytes: 3, sha256: 'abc', contentType: 'image/png' }),
};

const forecast = tool({
  description: 'Forecast for a city',
  input: z.object({
    city: z.string().min(1).describe('City name'),
    days: z.number().int().min(1).max(7).default(3),
    units: z.enum(['c', 'f']).optional(),
    stops: z.array(z.object({ name: z.string() })).optional(),
  }),
  run: async (args, runCtx) => ({ args, sameCtx: runCtx === ctx }),
});

describe('tool()', () => {
  test('generates the input JSON Schema from the zod schema: what callers send, without $schema', () => {
    expect(forecast.inputSchema).toEqual({
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 1, description: 'City name' },
        days: { type: 'integer', minimum: 1, maximum: 7, default: 3 },
        units: { type: 'string', enum: ['c', 'f'] },
        stops: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
      },
      required: ['city'],
    });
  });

  test('run gets the parsed arguments, defaults filled in, and the very context it was given', async () => {
    await expect(forecast.run({ city: 'Oslo' }, ctx)).resolves.toEqual({ args: { city: 'Oslo', days: 3 }, sameCtx: true });
  });

  test('invalid arguments throw InvalidInputError listing every failing path, and run is not called', async () => {
    let ran = false;
    const t = tool({ description: 'd', input: z.object({ a: z.string(), b: z.object({ c: z.array(z.number()) }) }), run: () => (ran = true) });
    const error = await t.run({ a: 1, b: { c: [1, 'two', 3, 'four'] } }, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({
      code: 'INVALID_ARGUMENTS',
      kind: 'tool',
      problems: [
        { path: 'a', message: 'Invalid input: expected string, received number' },
        { path: 'b.c[1]', message: 'Invalid input: expected number, received string' },
        { path: 'b.c[3]', message: 'Invalid input: expected number, received string' },
      ],
    });
    expect((error as Error).message).toBe(
      'invalid arguments for tool: a: Invalid input: expected string, received number; b.c[1]: Invalid input: expected number, received string; b.c[3]: Invalid input: expected number, received string',
    );
    expect(ran).toBe(false);
  });

  test('odd keys are quoted in paths, and a non-object payload is a problem at the root', async () => {
    const t = tool({ description: 'd', input: z.object({ 'two words': z.string() }).strict(), run: () => null });
    await expect(t.run({ 'two words': 1 }, ctx)).rejects.toMatchObject({ problems: [{ path: '["two words"]' }] });
    await expect(t.run('not an object', ctx)).rejects.toMatchObject({ problems: [{ path: '', message: 'Invalid input: expected object, received string' }] });
    await expect(t.run({ 'two words': 'x', extra: 1 }, ctx)).rejects.toThrow(/\(root\): Unrecognized key: "extra"/);
  });

  test('without input the tool takes no arguments, and omitted arguments count as {}', async () => {
    const ping = tool({ description: 'Ping', run: () => 'pong' });
    expect(ping.inputSchema).toEqual({ type: 'object', properties: {} });
    await expect(ping.run(undefined, ctx)).resolves.toBe('pong');
    await expect(forecast.run(undefined, ctx)).rejects.toMatchObject({ problems: [{ path: 'city' }] });
  });

  test('async refinements are awaited', async () => {
    const t = tool({
      description: 'd',
      input: z.object({ user: z.string().refine(async (u) => u !== 'root', 'reserved user name') }),
      run: ({ user }) => user,
    });
    await expect(t.run({ user: 'root' }, ctx)).rejects.toThrow('user: reserved user name');
    await expect(t.run({ user: 'ann' }, ctx)).resolves.toBe('ann');
  });

  test('errors thrown by the author’s run pass through unchanged', async () => {
    const boom = new Error('city not found');
    const t = tool({ description: 'd', run: () => Promise.reject(boom) });
    await expect(t.run({}, ctx)).rejects.toBe(boom);
  });
});

describe('definePlugin()', () => {
  const weather = definePlugin({
    name: 'weather',
    tools: { forecast },
    hooks: {
      on_plain: (payload: unknown) => ({ got: payload }),
      on_message: hook({ input: z.object({ text: z.string() }), run: ({ text }, c) => ({ text: text.toUpperCase(), units: c.config['units'] }) }),
    },
  });

  test('returns a frozen PluginModule with the name, tools and hooks', () => {
    const mod: Plugin = weather;
    expect(mod.name).toBe('weather');
    expect(Object.keys(mod.tools)).toEqual(['forecast']);
    expect(Object.keys(mod.hooks)).toEqual(['on_plain', 'on_message']);
    expect(Object.isFrozen(mod) && Object.isFrozen(mod.tools) && Object.isFrozen(mod.hooks)).toBe(true);
    expect(weather.tools.forecast.inputSchema).toBe(forecast.inputSchema);
  });

  test('validation errors name the plugin and the tool', async () => {
    await expect(weather.tools.forecast.run({ city: '' }, ctx)).rejects.toThrow(
      'invalid arguments for tool "forecast" of plugin "weather": city: Too small: expected string to have >=1 characters',
    );
    await expect(weather.tools.forecast.run({ city: '' }, ctx)).rejects.toMatchObject({ plugin: 'weather', target: 'forecast' });
  });

  test('the tool given to definePlugin keeps working on its own', async () => {
    await expect(forecast.run({ city: '' }, ctx)).rejects.toThrow(/^invalid arguments for tool: city/);
  });

  test('hooks made with hook() validate their payload; plain hook functions are kept as they are', async () => {
    await expect(weather.hooks.on_message({ text: 'hi' }, ctx)).resolves.toEqual({ text: 'HI', units: 'metric' });
    await expect(weather.hooks.on_message({ text: 3 }, ctx)).rejects.toThrow(
      'invalid payload for hook "on_message" of plugin "weather": text: Invalid input: expected string, received number',
    );
    expect(weather.hooks.on_plain(7)).toEqual({ got: 7 });
  });

  test('a hook without input gets its payload as it came', async () => {
    const h = hook({ run: (payload) => payload });
    await expect(h([1, 'x'], ctx)).resolves.toEqual([1, 'x']);
  });

  test('a plain ModuleTool object (no zod) is accepted unchanged', () => {
    const raw = { description: 'raw', inputSchema: { type: 'object' }, run: (a: unknown) => a };
    expect(definePlugin({ name: 'p', tools: { raw } }).tools.raw).toBe(raw);
  });
});

describe('a wrong definition fails at once, listing every problem', () => {
  const run = () => null;
  const cases: Array<[string, () => unknown, string]> = [
    [
      'bad name, tool name and tool shape',
      () => definePlugin({ name: '', tools: { 'has space': { description: 'x', run }, empty: { description: ' ', run: 1 } } as never }),
      'invalid plugin definition: name must be a non-empty string, got ""; tools."has space": a tool name uses only A-Z a-z 0-9 _ . - (1 to 128 characters); tools.empty.description must be a non-empty string; tools.empty.run must be a function',
    ],
    [
      'tools that are not objects and hooks that are not functions',
      () => definePlugin({ name: 'p', tools: { t: null }, hooks: { h: 'x' } } as never),
      'invalid plugin definition "p": tools.t must be a tool (use tool({...})), got null; hooks.h must be a function (use hook({...})), got "x"',
    ],
    ['tools missing', () => definePlugin({ name: 'p' } as never), 'invalid plugin definition "p": tools must be an object of tools, got undefined'],
    [
      'a tool without description or run',
      () => tool({ input: z.object({}) } as never),
      'invalid plugin definition: tool description must be a non-empty string, got undefined; tool run must be a function, got undefined',
    ],
    [
      'a tool whose input is not a zod schema',
      () => tool({ description: 'd', input: { type: 'object' }, run } as never),
      'invalid plugin definition: tool input must be a zod schema (from the same zod as @clawdesk/plugin-sdk), got object',
    ],
    [
      'a tool whose input is not an object',
      () => tool({ description: 'Shout', input: z.string() as never, run }),
      'invalid plugin definition: the tool described as "Shout": tool input must be a z.object(...) (MCP tools take an object of arguments), got JSON Schema type "string"',
    ],
    [
      'a tool whose input has no JSON Schema',
      () => tool({ description: 'When', input: z.object({ at: z.date() }), run }),
      'invalid plugin definition: the tool described as "When": the input schema cannot be expressed as JSON Schema (Date cannot be represented in JSON Schema)',
    ],
    ['a hook without run', () => hook({} as never), 'invalid plugin definition: hook run must be a function, got undefined'],
  ];

  test.each(cases)('%s', (_name, define, message) => {
    let thrown: unknown;
    try {
      define();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PluginDefinitionError);
    expect((thrown as Error).message).toBe(message);
    expect(thrown).toMatchObject({ code: 'INVALID_DEFINITION' });
  });
});
