import { parseManifest, serializeManifest } from '../src/index.js';
import { MAX_MANIFEST_DEPTH } from '../src/constants.js';
import { catchManifestError } from './helpers.js';

const FILE = '/plugins/p/plugin.json5';
const parse = (text: string) => parseManifest(text, { file: FILE, format: 'json5', dir: '/plugins/p' });
const manifest = (fields: string) => `{ name: "p", version: "1.0.0", description: "d", author: "a", ${fields} }`;
const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('nesting', () => {
  const arrays = (n: number) => '[0]'.repeat(n);
  test.each([
    ['an unknown field', (d: number) => `weird: ${nestedArrays(d)}`, `weird${arrays(11)}…`],
    ['an inputSchema', (d: number) => `tools: [{ name: "t", description: "t", inputSchema: { a: ${nestedArrays(d)} } }]`, `tools[0].inputSchema.a${arrays(8)}…`],
    ['a configSchema', (d: number) => `configSchema: ${'{a:'.repeat(d)}1${'}'.repeat(d)}`, `configSchema${'.a'.repeat(11)}…`],
    ['a second tool\'s schema', (d: number) => `tools: [{ name: "t", description: "t" }, { name: "u", description: "u", inputSchema: { properties: { "x-y": ${'{a:'.repeat(d)}1${'}'.repeat(d)} } } }]`, `tools[1].inputSchema.properties["x-y"]${'.a'.repeat(7)}…`],
  ])('%s nested 200 000 levels deep is a MANIFEST_INVALID at the path of the deep value, not a stack overflow', (_label, field, path) => {
    const error = catchManifestError(() => parse(manifest(field(200_000))));
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.problems).toEqual([{ path, message: `nested more than ${MAX_MANIFEST_DEPTH} levels deep` }]);
  });

  test('a manifest nested right up to the limit parses, and serializing it back works', () => {
    // The document is level 1, `weird` opens level 2: arrays fill the rest.
    const m = parse(manifest(`weird: ${nestedArrays(MAX_MANIFEST_DEPTH - 1)}`));
    expect(() => serializeManifest(m)).not.toThrow();
    expect(catchManifestError(() => parse(manifest(`weird: ${nestedArrays(MAX_MANIFEST_DEPTH)}`))).code).toBe('MANIFEST_INVALID');
  });
});
