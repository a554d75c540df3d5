import fc from 'fast-check';
import { ManifestError, parseManifest, type ManifestFormat } from '../src/index.js';
import { KNOWN_KEYS, validManifestDoc } from './arbitraries.js';

/** The outcome of parsing: 'ok' or the error code. Anything but a ManifestError propagates and fails the property. */
function outcome(text: string, format: ManifestFormat, packageJson?: unknown): string {
  try {
    parseManifest(text, { file: 'fuzz.json5', format, dir: '/fuzz', packageJson });
    return 'ok';
  } catch (error) {
    if (error instanceof ManifestError) {
      expect(error.problems.length).toBeGreaterThan(0);
      return error.code;
    }
    throw error;
  }
}

const formats = fc.constantFrom<ManifestFormat>('json5', 'openclaw');
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'kind', 'openclaw', 'extensions'];
const keys = fc.oneof(fc.constantFrom(...KNOWN_KEYS, ...HOSTILE_KEYS), fc.string({ maxLength: 6 }));
/** Any JSON value, including objects whose keys are manifest fields or prototype names. */
const hostileValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 1 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.array(fc.tuple(keys, tie('value')), { maxLength: 5 }).map((entries) => new Entries(entries)),
  ),
})).value;

/** Written out by hand so `__proto__` stays an ordinary key in the text. */
class Entries {
  constructor(readonly entries: [string, unknown][]) {}
}
const toText = (v: unknown): string =>
  v instanceof Entries
    ? `{${v.entries.map(([k, val]) => `${JSON.stringify(k)}:${toText(val)}`).join(',')}}`
    : Array.isArray(v)
      ? `[${v.map(toText).join(',')}]`
      : JSON.stringify(v);

afterAll(() => {
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
});

describe('parseManifest never throws anything but ManifestError', () => {
  test('for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), formats, (text, format) => void outcome(text, format)), { numRuns: 300 });
  });

  test('for any string that starts like an object', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 80 }), formats, (tail, format) => void outcome(`{${tail}`, format)));
  });

  test('for any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), formats, (value, format) => void outcome(JSON.stringify(value), format)));
  });

  test('for anything JSON.stringify accepts', () => {
    fc.assert(fc.property(fc.anything(), formats, (value, format) => void outcome(JSON.stringify(value) ?? 'undefined', format)));
  });

  test('for objects made of manifest fields and prototype names, with any package.json', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(keys, hostileValue), { maxLength: 8 }), formats, hostileValue, (entries, format, pkg) => {
        const text = toText(new Entries(entries));
        const pkgValue: unknown = JSON.parse(toText(pkg));
        void outcome(text, format, pkgValue);
        void outcome(text, format, { version: pkgValue, openclaw: { extensions: [pkgValue] } });
      }),
      { numRuns: 200 },
    );
  });

  test('for a valid manifest with one field replaced by any value', () => {
    fc.assert(
      fc.property(validManifestDoc, fc.constantFrom(...KNOWN_KEYS), hostileValue, formats, (doc, key, value, format) => {
        const text = toText(new Entries([...Object.entries(doc).filter(([k]) => k !== key), [key, value]]));
        void outcome(text, format);
      }),
      { numRuns: 200 },
    );
  });
});
