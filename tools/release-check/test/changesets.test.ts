import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateConfig } from '@changesets/config';
import { parseChangesetFile } from '@changesets/parse';
import { getPackages } from '@manypkg/get-packages';
import semver from 'semver';
import {
  changesetVersion,
  createReleaseRehearsal,
  formatChangeset,
  readVersionedWorkspace,
  type VersionedPackage,
} from '../src/changesets.js';
import { internalDependencies, listPublishablePackages, listWorkspacePackages, repoRoot } from '../src/workspace.js';

const changesetDir = path.join(repoRoot, '.changeset');
const workspace = listWorkspacePackages();
const workspaceNames = new Set(workspace.map((pkg) => pkg.name));
const publishable = listPublishablePackages();
const publishableNames = new Set(publishable.map((pkg) => pkg.name));
const rawConfig: unknown = JSON.parse(readFileSync(path.join(changesetDir, 'config.json'), 'utf8'));

// The pending changesets, as `changeset version` finds them (@changesets/read skips these and dotfiles).
const notChangesets = new Set(['readme.md', 'agents.md', 'claude.md', 'gemini.md']);
const changesetFiles = readdirSync(changesetDir)
  .filter((file) => file.endsWith('.md') && !file.startsWith('.') && !notChangesets.has(file.toLowerCase()))
  .sort();
const parsedChangesets = changesetFiles.map((file) => {
  try {
    return { file, ...parseChangesetFile(readFileSync(path.join(changesetDir, file), 'utf8')) };
  } catch (error) {
    return { file, error, summary: '', releases: [] };
  }
});

// Every internal range that no longer matches the version it points to, after a version run.
function brokenRanges(versioned: Map<string, VersionedPackage>): string[] {
  return [...versioned].flatMap(([name, { packageJson }]) =>
    internalDependencies(packageJson, workspaceNames).flatMap(({ field, name: dependency, range }) => {
      const version = versioned.get(dependency)?.packageJson.version ?? 'missing';
      return semver.satisfies(version, range) ? [] : [`${name} ${field}["${dependency}"] is "${range}" but ${dependency} is ${version}`];
    }),
  );
}

async function withTempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'clawdesk-changesets-'));
}

describe('.changeset/config.json', () => {
  test('is valid for this workspace, with no errors or warnings from changesets', async () => {
    const result = validateConfig(rawConfig, await getPackages(repoRoot));
    expect(result.errors).toBeUndefined();
    expect(result.warnings).toEqual([]);
  });

  test('versions every package independently: no fixed or linked groups and nothing ignored', () => {
    expect(rawConfig).toMatchObject({ fixed: [], linked: [], ignore: [] });
  });

  test('bumps a dependent by a patch when one of its internal dependencies is released', () => {
    expect(rawConfig).toMatchObject({ updateInternalDependencies: 'patch' });
  });

  test('publishes the scoped packages publicly, writes changelogs and leaves committing to the releaser', () => {
    expect(rawConfig).toMatchObject({ access: 'public', changelog: '@changesets/cli/changelog', commit: false, baseBranch: 'main' });
  });
});

describe('pending changesets in .changeset/', () => {
  test('there are changesets to release', () => {
    expect(changesetFiles).not.toEqual([]);
  });

  test.each(parsedChangesets.map((changeset) => [changeset.file, changeset] as const))(
    '%s parses, has a summary and names only publishable workspace packages',
    (_file, changeset) => {
      expect('error' in changeset ? String(changeset.error) : undefined).toBeUndefined();
      expect(changeset.summary.trim()).not.toBe('');
      expect(changeset.releases).not.toEqual([]);
      const wrong = changeset.releases
        .filter((release) => !publishableNames.has(release.name))
        .map((release) => `${release.name} (${workspaceNames.has(release.name) ? 'private' : 'not in the workspace'})`);
      expect(wrong).toEqual([]);
    },
  );

  test.each(publishable.map((pkg) => [pkg.name] as const))('%s has a changeset describing its first release', (name) => {
    const naming = parsedChangesets.filter((changeset) =>
      changeset.releases.some((release) => release.name === name && release.type !== 'none'),
    );
    expect(naming.map((changeset) => changeset.file)).not.toEqual([]);
  });
});

describe('changeset version, rehearsed on a copy of the workspace with one minor changeset for @clawdesk/manifest', () => {
  const summary = 'Add a rehearsal feature to the manifest.';
  const manifestDependents = workspace.filter((pkg) => pkg.packageJson.dependencies?.['@clawdesk/manifest'] !== undefined);
  let dir: string;
  let versioned: Map<string, VersionedPackage>;

  beforeAll(async () => {
    dir = await withTempDir();
    await createReleaseRehearsal(dir, { 'manifest-rehearsal': formatChangeset({ '@clawdesk/manifest': 'minor' }, summary) });
    await changesetVersion(dir);
    versioned = await readVersionedWorkspace(dir);
  });

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  function get(name: string): VersionedPackage {
    const pkg = versioned.get(name);
    if (pkg === undefined) throw new Error(`${name} is missing after changeset version`);
    return pkg;
  }

  test('bumps @clawdesk/manifest to 0.1.0 and writes its changelog with the summary', () => {
    const manifest = get('@clawdesk/manifest');
    expect(manifest.packageJson.version).toBe('0.1.0');
    expect(manifest.changelog).toContain('# @clawdesk/manifest\n\n## 0.1.0\n\n### Minor Changes\n');
    expect(manifest.changelog).toContain(summary);
  });

  test('the rehearsal covers the packages that depend on @clawdesk/manifest', () => {
    expect(manifestDependents.map((pkg) => pkg.name)).toEqual(
      expect.arrayContaining(['@clawdesk/sandbox', '@clawdesk/registry', '@clawdesk/host']),
    );
  });

  test('gives every publishable package that depends on @clawdesk/manifest a caret range on the new version, a patch bump and an "Updated dependencies" entry', () => {
    for (const { name, packageJson: before } of manifestDependents.filter((pkg) => publishableNames.has(pkg.name))) {
      const after = get(name);
      expect({ name, range: after.packageJson.dependencies?.['@clawdesk/manifest'] }).toEqual({ name, range: '^0.1.0' });
      expect({ name, version: after.packageJson.version }).toEqual({ name, version: semver.inc(before.version, 'patch') });
      expect(after.changelog).toContain('### Patch Changes');
      expect(after.changelog).toMatch(/- Updated dependencies \[[0-9a-f]{7}\]:?\n(\s+- .+\n)*\s+- @clawdesk\/manifest@0\.1\.0\n/);
    }
  });

  // changesets 3 leaves private packages unversioned by default (privatePackages.version: false).
  test('updates the ranges in private packages that depend on a bumped package (the demo app) without versioning them', () => {
    // The demo depends on @clawdesk/cli, which depends on @clawdesk/manifest and so gets a patch bump.
    const demo = get('@clawdesk/demo');
    expect(demo.packageJson.dependencies?.['@clawdesk/cli']).toBe(get('@clawdesk/cli').packageJson.version);
    expect(get('@clawdesk/cli').packageJson.version).toBe('0.0.1');
    expect(demo.packageJson.version).toBe('0.0.0');
    expect(demo.changelog).toBeUndefined();
  });

  test('keeps versions independent: dependents move by a patch, not to the version of @clawdesk/manifest', () => {
    expect(get('@clawdesk/sandbox').packageJson.version).toBe('0.0.1');
    expect(get('@clawdesk/host').packageJson.version).toBe('0.0.1');
  });

  test('leaves every internal dependency range in the workspace satisfied by the version it points to', () => {
    expect(brokenRanges(versioned)).toEqual([]);
  });

  test('does not touch packages outside the dependency chain', () => {
    const untouched = get('@clawdesk-tools/release-check');
    expect(untouched.packageJson.version).toBe('0.0.0');
    expect(untouched.changelog).toBeUndefined();
  });

  test('consumes the changeset', () => {
    expect(readdirSync(path.join(dir, '.changeset'))).toEqual(['config.json']);
  });
});

describe("changeset version, rehearsed with the repository's own pending changesets", () => {
  let dir: string;
  let versioned: Map<string, VersionedPackage>;

  beforeAll(async () => {
    dir = await withTempDir();
    const files = Object.fromEntries(
      changesetFiles.map((file) => [file.replace(/\.md$/, ''), readFileSync(path.join(changesetDir, file), 'utf8')]),
    );
    await createReleaseRehearsal(dir, files);
    await changesetVersion(dir);
    versioned = await readVersionedWorkspace(dir);
  });

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test('releases each named package at least at its declared bump, with the summary in its changelog', () => {
    const released = parsedChangesets.flatMap((changeset) =>
      changeset.releases.flatMap(({ name, type }) => (type === 'none' ? [] : [{ name, type, summary: changeset.summary }])),
    );
    expect(released).not.toEqual([]);
    for (const release of released) {
      const before = workspace.find((pkg) => pkg.name === release.name)?.packageJson.version ?? '';
      const after = versioned.get(release.name);
      const firstLine = release.summary.split('\n')[0] ?? '';
      expect({ name: release.name, atLeast: semver.gte(after?.packageJson.version ?? '0.0.0', semver.inc(before, release.type) ?? '') }).toEqual({
        name: release.name,
        atLeast: true,
      });
      expect(after?.changelog).toContain(firstLine);
    }
  });

  test('gives every publishable package a version above 0.0.0 and a changelog', () => {
    const unreleased = publishable
      .filter((pkg) => versioned.get(pkg.name)?.packageJson.version === '0.0.0' || versioned.get(pkg.name)?.changelog === undefined)
      .map((pkg) => pkg.name);
    expect(unreleased).toEqual([]);
  });

  test('leaves every internal dependency range in the workspace satisfied by the version it points to', () => {
    expect(brokenRanges(versioned)).toEqual([]);
  });
});
