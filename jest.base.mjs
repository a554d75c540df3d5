// Shared jest settings: TypeScript through swc as native ESM (run jest with --experimental-vm-modules).
export function jestConfig(overrides = {}) {
  return {
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }],
    },
    // Source imports use the `.js` suffix NodeNext requires; map them back to the `.ts` files.
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    testTimeout: 20000,
    reporters: ['default', new URL('./scripts/jest-summary-reporter.cjs', import.meta.url).pathname],
    ...overrides,
  };
}
