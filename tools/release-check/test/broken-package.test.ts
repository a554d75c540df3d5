import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { publint } from 'publint';
import { checkTypes, describeProblem } from '../src/attw.js';
import { packPackages, type PackedPackage } from '../src/pack.js';

// A package whose `require` condition serves CommonJS code with ESM-only types: the checks must refuse it.
const fixture = path.resolve(import.meta.dirname, 'fixtures/masquerading-esm');
let tmp: string;
let packed: PackedPackage;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'clawdesk-release-check-fixture-'));
  [packed] = (await packPackages([fixture], tmp)) as [PackedPackage];
});

afterAll(async () => {
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

test('attw reports types that masquerade as ESM for require, and exits non-zero', async () => {
  const report = await checkTypes(packed.tarball);
  expect(report.typesKind).toBe('included');
  expect(report.problems.map(describeProblem)).toEqual(['FalseESM index.d.ts -> index.cjs']);
  expect(report.exitCode).toBe(1);
});

test('publint --strict reports the ESM types under the require condition as an error', async () => {
  const { messages } = await publint({ pkgDir: fixture, strict: true });
  expect(messages.filter((message) => message.type === 'error').map((message) => message.code)).toEqual([
    'EXPORTS_TYPES_INVALID_FORMAT',
  ]);
});

test('npm pack lists exactly the files the package declares', () => {
  expect(packed.files).toEqual(['index.cjs', 'index.d.ts', 'index.js', 'package.json']);
});
