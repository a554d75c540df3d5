import { unexpectedFiles } from '../src/contents.js';

test('accepts built code, types, the README, the manifest, a licence and a changelog', () => {
  const files = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'dist/index.js', 'dist/index.d.cts', 'dist/child/runner.js'];
  expect(unexpectedFiles('@clawdesk/host', files)).toEqual([]);
});

test.each([
  ['TypeScript sources', 'src/index.ts'],
  ['tests', 'test/host.test.ts'],
  ['a test compiled into dist', 'dist/host.test.js'],
  ['a test folder inside dist', 'dist/test/helpers.js'],
  ['the tsconfig', 'tsconfig.json'],
  ['a build tsconfig', 'tsconfig.build.json'],
  ['the jest config', 'jest.config.mjs'],
  ['test reports', 'reports/jest-summary.json'],
  ['a TypeScript build cache', 'dist/.tsbuildinfo'],
  ['a stray tarball', 'clawdesk-host-0.0.0.tgz'],
  ['an unlisted directory', 'scripts/write-schema.mjs'],
])('flags %s (%s)', (_what, file) => {
  expect(unexpectedFiles('@clawdesk/host', ['package.json', 'dist/index.js', file])).toEqual([file]);
});

test("allows a package's declared extra directory but not another package's", () => {
  expect(unexpectedFiles('@clawdesk/manifest', ['schema/plugin.schema.json'])).toEqual([]);
  expect(unexpectedFiles('@clawdesk/plugin-sdk', ['assembly/index.ts'])).toEqual([]);
  expect(unexpectedFiles('@clawdesk/host', ['schema/plugin.schema.json', 'assembly/index.ts'])).toEqual([
    'schema/plugin.schema.json',
    'assembly/index.ts',
  ]);
});
