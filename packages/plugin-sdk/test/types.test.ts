import type { ModuleTool, PluginModule } from '@clawdesk/sandbox';
import { z } from 'zod';
import { definePlugin, hook, tool } from '../src/index.js';

// These checks run in `tsc --noEmit` (the package's test script): each @ts-expect-error must be a real type error.
describe('types follow the zod schemas', () => {
  test('run receives args typed from input, so misuse is a compile error', () => {
    const t = tool({
      description: 'Forecast',
      input: z.object({ city: z.string(), days: z.number().default(3), units: z.enum(['c', 'f']).optional() }),
      run: (args) => {
        const city: string = args.city;
        const days: number = args.days; // the default makes it always present after parsing
        // @ts-expect-error units may be undefined
        const units: 'c' | 'f' = args.units;
        // @ts-expect-error city is a string, not a number
        const wrong: number = args.city;
        // @ts-expect-error there is no such argument
        void args.country;
        return { city, days, units, wrong };
      },
    });
    expect(t.description).toBe('Forecast');
  });

  test('the return type of run is kept on the defined tool', () => {
    const t = tool({ description: 'n', run: () => 42 as const });
    const check = (): Promise<42> => t.run({}, undefined as never);
    expect(typeof check).toBe('function');
  });

  test('hook payloads are typed from their input schema', () => {
    const h = hook({
      input: z.object({ text: z.string() }),
      run: (payload) => {
        // @ts-expect-error text is a string
        const n: number = payload.text;
        return n;
      },
    });
    expect(typeof h).toBe('function');
  });

  test('a definition is a PluginModule, and tools keep their own types', () => {
    const plugin = definePlugin({ name: 'p', tools: { a: tool({ description: 'a', input: z.object({ x: z.number() }), run: ({ x }) => x * 2 }) } });
    const mod: PluginModule = plugin;
    const a: ModuleTool = plugin.tools.a;
    const schema: z.ZodType = plugin.tools.a.input;
    // @ts-expect-error tool b was not defined
    void plugin.tools.b;
    expect([mod.name, a.description, schema]).toBeTruthy();
  });

  test('tool input must be an object schema', () => {
    // @ts-expect-error a string schema cannot describe MCP tool arguments
    const bad = () => tool({ description: 'x', input: z.string(), run: () => null });
    expect(bad).toThrow(/must be a z.object/);
  });
});
