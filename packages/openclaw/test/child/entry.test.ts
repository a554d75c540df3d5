import { findRegister } from '../../src/child/entry.js';
import { normalizeSpecifier } from '../../src/child/shim-hook.js';

describe('findRegister', () => {
  const register = () => undefined;

  test.each([
    ['a default export entry object', { default: { id: 'x', name: 'X', register } }, { id: 'x', name: 'X' }],
    ['a default export function', { default: register }, {}],
    ['nested defaults (CJS interop)', { default: { default: { default: { id: 'deep', register } } } }, { id: 'deep' }],
    ['a named register export', { register }, {}],
  ])('finds register in %s', (_what, namespace, meta) => {
    const found = findRegister(namespace);
    expect(typeof found?.register).toBe('function');
    expect(found?.meta).toEqual(meta);
  });

  test('calls an entry object method with the entry as this', () => {
    const entry = {
      id: 'self',
      register(this: { id: string }) {
        return this.id;
      },
    };
    expect(findRegister({ default: entry })?.register({})).toBe('self');
  });

  test('finds nothing in a module without register', () => {
    expect(findRegister({ default: { id: 'x' }, setup: register })).toBeUndefined();
    expect(findRegister(undefined)).toBeUndefined();
  });
});

describe('normalizeSpecifier', () => {
  test.each([
    ['openclaw/plugin-sdk/core', 'openclaw/plugin-sdk/core'],
    ['openclaw/plugin-sdk/core.js', 'openclaw/plugin-sdk/core'],
    ['openclaw/plugin-sdk/xyz/index.mts', 'openclaw/plugin-sdk/xyz'],
    ['openclaw/plugin-sdk/xyz.ctsx', 'openclaw/plugin-sdk/xyz'],
  ])('names the module jiti probes as %s', (specifier, name) => {
    expect(normalizeSpecifier(specifier)).toBe(name);
  });
});
