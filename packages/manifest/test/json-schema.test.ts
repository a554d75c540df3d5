import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CAPABILITIES, manifestJsonSchema, RUNTIMES } from '../src/index.js';
import { KNOWN_KEYS } from './arbitraries.js';

const PKG = path.join(import.meta.dirname, '..');

describe('manifestJsonSchema', () => {
  test('matches the committed schema/plugin.schema.json (regenerate with `npm run schema`)', () => {
    const committed: unknown = JSON.parse(readFileSync(path.join(PKG, 'schema', 'plugin.schema.json'), 'utf8'));
    expect(committed).toEqual(manifestJsonSchema);
  });

  test('describes the plugin.json5 input: every field, defaults, enums, open to unknown fields', () => {
    const schema = manifestJsonSchema as {
      type: string;
      properties: Record<string, { default?: unknown; enum?: unknown; items?: { enum?: unknown } }>;
      additionalProperties: unknown;
      required?: unknown;
    };
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties).sort()).toEqual([...KNOWN_KEYS].sort());
    expect(schema.required).toBeUndefined();
    expect(schema.additionalProperties).toEqual({});
    expect(schema.properties['runtime']).toMatchObject({ default: 'node', enum: [...RUNTIMES] });
    expect(schema.properties['capabilities']?.items?.enum).toEqual([...CAPABILITIES]);
    expect(schema.properties['timeoutMs']).toMatchObject({ type: 'integer', default: 30000, exclusiveMinimum: 0 });
  });

  test('is shipped as @clawdesk/manifest/schema.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(PKG, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; files: string[] };
    expect(pkg.exports['./schema.json']).toBe('./schema/plugin.schema.json');
    expect(pkg.files).toContain('schema');
  });
});
