import semver from 'semver';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { listPublishablePackages, readPackageJson, type PackageJson } from '../src/workspace.js';

const publishable = listPublishablePackages();
const ownPackageJson = readPackageJson(path.resolve(import.meta.dirname, '..'));

type Conditions = Record<string, unknown>;

// Entry points in the exports map that resolve to code (not `./package.json` or a JSON file).
function codeEntryPoints(exportsField: unknown): [string, unknown][] {
  if (typeof exportsField !== 'object' || exportsField === null) return [];
  return Object.entries(exportsField as Conditions).filter(([subpath]) => !subpath.endsWith('.json'));
}

function conditionTypes(target: unknown, condition: 'import' | 'require'): unknown {
  if (typeof target !== 'object' || target === null) return undefined;
  const branch = (target as Conditions)[condition];
  return typeof branch === 'object' && branch !== null ? (branch as Conditions).types : undefined;
}

test('the workspace has publishable packages to check', () => {
  expect(publishable.map((pkg) => pkg.name)).toEqual(expect.arrayContaining(['@clawdesk/manifest', '@clawdesk/sandbox']));
});

test('every publishable package is an nx implicit dependency of release-check, so it is built before these checks run', () => {
  const implicit = [...(ownPackageJson.nx?.implicitDependencies ?? [])].sort();
  expect(implicit).toEqual(publishable.map((pkg) => pkg.name).sort());
});

describe.each(publishable.map((pkg) => [pkg.name, pkg] as const))('%s', (name, pkg) => {
  const json: PackageJson = pkg.packageJson;

  test('is published under the @clawdesk scope with public access', () => {
    expect(name).toMatch(/^@clawdesk\/[a-z0-9-]+$/);
    expect(json.publishConfig?.access).toBe('public');
  });

  test('names its licence and its directory in the repository, for npm and provenance', () => {
    expect(json.license).toBe('MIT');
    expect(typeof json.repository === 'object' ? json.repository.directory : undefined).toBe(pkg.relativeDir);
  });

  test('has a README.md that names the package', () => {
    const readme = path.join(pkg.dir, 'README.md');
    expect(existsSync(readme)).toBe(true);
    expect(readFileSync(readme, 'utf8')).toContain(name);
  });

  test('requires Node 22 or later in engines (test/engines.test.ts checks the exact range against its dependencies)', () => {
    const range = json.engines?.node;
    expect(typeof range === 'string' && semver.validRange(range) !== null).toBe(true);
    expect(semver.minVersion(range!)!.major).toBeGreaterThanOrEqual(22);
  });

  test('exports types for both import and require on every code entry point', () => {
    const entries = codeEntryPoints(json.exports);
    expect(entries.map(([subpath]) => subpath)).toContain('.');
    const missing = entries.flatMap(([subpath, target]) =>
      (['import', 'require'] as const)
        .filter((condition) => typeof conditionTypes(target, condition) !== 'string')
        .map((condition) => `exports["${subpath}"].${condition}.types`),
    );
    expect(missing).toEqual([]);
  });
});
