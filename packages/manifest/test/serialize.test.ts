import fc from 'fast-check';
import JSON5 from 'json5';
import { parseManifest, serializeManifest, toManifestJson, type PluginManifest } from '../src/index.js';
import { validManifestDoc } from './arbitraries.js';

const OPTIONS = { file: '/plugins/p/plugin.json5', format: 'json5', dir: '/plugins/p' } as const;
const parse = (text: string) => parseManifest(text, OPTIONS);

describe('serializeManifest', () => {
  test('writes every normalized field, then the unknown fields', () => {
    const m = parse('{ id: "p", entryPoint: "./main.js", requiresRsclaw: "^1.0.0", tools: [{ name: "t" }], x_custom: { a: [1] } }');
    const text = serializeManifest(m);
    expect(text.endsWith('}\n')).toBe(true);
    const doc = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual([
      'name', 'version', 'description', 'author', 'runtime', 'sandbox', 'entry', 'capabilities', 'channels', 'slots', 'hooks',
      'tools', 'minCallIntervalMs', 'timeoutMs', 'requires', 'browserCdn', 'permissions', 'x_custom',
    ]);
    expect(doc).toMatchObject({ name: 'p', entry: './main.js', requires: '^1.0.0', capabilities: ['tool_call'], x_custom: { a: [1] } });
  });

  test('reads back as the same manifest', () => {
    const m = parse('{ name: "p", displayName: "P", runtime: "wasm", configSchema: { type: "object" }, hooks: ["on_start"], other: null }');
    expect(parse(serializeManifest(m))).toStrictEqual(m);
  });

  test('toManifestJson is a deep copy', () => {
    const m = parse('{ name: "p", tools: [{ name: "t", inputSchema: { type: "object" } }], bag: { n: 1 } }');
    const doc = toManifestJson(m) as { tools: { inputSchema: Record<string, unknown> }[]; bag: { n: number } };
    doc.tools[0]!.inputSchema['type'] = 'changed';
    doc.bag.n = 2;
    expect(m.tools[0]?.inputSchema).toEqual({ type: 'object' });
    expect(m.extra).toEqual({ bag: { n: 1 } });
  });

  test('extra keys that would read back as fields are not written', () => {
    const m: PluginManifest = { ...parse('{ name: "p" }'), extra: { name: 'hijack', id: 'x', entryPoint: '/etc/passwd', keep: true } };
    expect(toManifestJson(m)).toMatchObject({ name: 'p', entry: './dist/index.js', keep: true });
    expect(toManifestJson(m)).not.toHaveProperty('id');
    expect(toManifestJson(m)).not.toHaveProperty('entryPoint');
  });

  test('values JSON cannot hold (JSON5 NaN, Infinity) come back as null', () => {
    const m = parse('{ name: "p", limits: { a: NaN, b: -Infinity } }');
    expect(parse(serializeManifest(m)).extra).toEqual({ limits: { a: null, b: null } });
  });

  test('property: any valid manifest survives parse → serialize → parse unchanged', () => {
    fc.assert(
      fc.property(validManifestDoc, fc.boolean(), (doc, asJson5) => {
        const first = parse(asJson5 ? JSON5.stringify(doc, null, 2) : JSON.stringify(doc));
        const again = parse(serializeManifest(first));
        expect(again).toStrictEqual(first);
        // And the first parse kept what was written (compared as JSON, which has no -0).
        expect(first.name).toBe(doc['name'] ?? doc['id']);
        for (const [key, value] of Object.entries(first.extra)) expect(JSON.stringify(value)).toBe(JSON.stringify(doc[key]));
      }),
      { numRuns: 150 },
    );
  });
});
