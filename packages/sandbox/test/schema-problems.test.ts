import { schemaProblems } from '../src/index.js';

describe('schemaProblems', () => {
  test('turns validator errors into dotted paths, naming missing and unexpected properties', () => {
    expect(
      schemaProblems([
        { instancePath: '/items/0/name', keyword: 'type', message: 'must be string' },
        { instancePath: '/a~1b/c~0d', keyword: 'minimum', message: 'must be >= 1' },
        { instancePath: '', keyword: 'required', message: "must have required property 'city'", params: { missingProperty: 'city' } },
        { instancePath: '/opts', keyword: 'additionalProperties', message: 'must NOT have additional properties', params: { additionalProperty: 'x' } },
        { instancePath: '', keyword: 'type' },
      ]),
    ).toEqual([
      { path: 'items.0.name', message: 'must be string' },
      { path: 'a/b.c~d', message: 'must be >= 1' },
      { path: 'city', message: "must have required property 'city'" },
      { path: 'opts.x', message: 'must NOT have additional properties' },
      { path: '', message: 'type' },
    ]);
  });

  test('no errors are no problems', () => {
    expect(schemaProblems(null)).toEqual([]);
    expect(schemaProblems(undefined)).toEqual([]);
  });
});
