import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { ATTW_PROFILE, checkTypes, describeProblem } from '../src/attw.js';
import { unexpectedFiles } from '../src/contents.js';
import { packPackages, type PackedPackage } from '../src/pack.js';
import { listPublishablePackages } from '../src/workspace.js';

const publishable = listPublishablePackages();
let tmp: string;
const packed = new Map<string, PackedPackage>();

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'clawdesk-release-check-'));
  for (const entry of await packPackages(publishable.map((pkg) => pkg.dir), tmp)) packed.set(entry.name, entry);
});

afterAll(async () => {
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

function tarballOf(name: string): PackedPackage {
  const entry = packed.get(name);
  if (entry === undefined) throw new Error(`npm pack produced no tarball for ${name}`);
  return entry;
}

describe.each(publishable.map((pkg) => [pkg.name, pkg] as const))('%s', (name, pkg) => {
  test('packs only what users need: dist/, README.md and package.json (plus its declared extras)', () => {
    const { files } = tarballOf(name);
    expect(unexpectedFiles(name, files)).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md']));
    expect(files.filter((file) => file.startsWith('dist/'))).not.toEqual([]);
  });

  test('passes publint --strict with no errors or warnings', async () => {
    // publint packs the directory itself, so it can tell a file that is missing from one left out of `files`.
    const { messages, pkg: packageJson } = await publint({ pkgDir: pkg.dir, strict: true });
    const findings = messages
      .filter((message) => message.type !== 'suggestion')
      .map((message) => `${message.type}: ${formatMessage(message, packageJson, { color: false })}`);
    expect(findings).toEqual([]);
  });

  test(`ships types that resolve for ESM and CommonJS consumers (attw --profile ${ATTW_PROFILE})`, async () => {
    const report = await checkTypes(tarballOf(name).tarball);
    expect(report.typesKind).toBe('included');
    expect(report.problems.map(describeProblem)).toEqual([]);
    expect(report.exitCode).toBe(0);
  });
});
