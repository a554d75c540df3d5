import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runOrThrow } from './run.js';
import { listWorkspacePackages, repoRoot, type PackageJson } from './workspace.js';

const changesetBin = path.join(repoRoot, 'node_modules/@changesets/cli/bin.js');

export type Bump = 'major' | 'minor' | 'patch';

/** A changeset file as `npx changeset` writes it. */
export function formatChangeset(releases: Readonly<Record<string, Bump>>, summary: string): string {
  const lines = Object.entries(releases).map(([name, bump]) => `"${name}": ${bump}`);
  return `---\n${lines.join('\n')}\n---\n\n${summary}\n`;
}

/**
 * Builds a stand-in for the monorepo in `dest`: the root package.json, every workspace package.json
 * at its real path, .changeset/config.json and the given changesets (file name without `.md` ->
 * contents), committed to a fresh git repository. That is all `changeset version` reads and writes,
 * so running it there shows what a release would do without touching the checkout.
 */
export async function createReleaseRehearsal(dest: string, changesets: Readonly<Record<string, string>>): Promise<void> {
  await copyFile(path.join(repoRoot, 'package.json'), path.join(dest, 'package.json'));
  // changesets recognises an npm workspace by its lockfile; only its presence matters.
  await writeFile(path.join(dest, 'package-lock.json'), `${JSON.stringify({ lockfileVersion: 3, requires: true, packages: {} })}\n`);
  for (const pkg of listWorkspacePackages(repoRoot)) {
    await mkdir(path.join(dest, pkg.relativeDir), { recursive: true });
    await copyFile(path.join(pkg.dir, 'package.json'), path.join(dest, pkg.relativeDir, 'package.json'));
  }
  await mkdir(path.join(dest, '.changeset'));
  await copyFile(path.join(repoRoot, '.changeset/config.json'), path.join(dest, '.changeset/config.json'));
  for (const [id, contents] of Object.entries(changesets)) {
    await writeFile(path.join(dest, '.changeset', `${id}.md`), contents);
  }
  // changesets asks git which commit added each changeset, for the changelog lines.
  const git = (...args: string[]) => runOrThrow('git', args, { cwd: dest });
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '--all');
  await git(
    '-c', 'user.name=release-check',
    '-c', 'user.email=release-check@example.invalid',
    '-c', 'commit.gpgsign=false',
    'commit', '--quiet', '--no-verify', '--message', 'rehearsal',
  );
}

/** Runs `changeset version` in `dir` with the CLI installed at the repository root. */
export async function changesetVersion(dir: string): Promise<void> {
  await runOrThrow(process.execPath, [changesetBin, 'version'], { cwd: dir });
}

export interface VersionedPackage {
  packageJson: PackageJson;
  /** CHANGELOG.md, or undefined when changesets wrote none. */
  changelog: string | undefined;
}

/** Every workspace package in `dir` after versioning, by name. */
export async function readVersionedWorkspace(dir: string): Promise<Map<string, VersionedPackage>> {
  const result = new Map<string, VersionedPackage>();
  for (const pkg of listWorkspacePackages(dir)) {
    const changelog = await readFile(path.join(pkg.dir, 'CHANGELOG.md'), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    result.set(pkg.name, { packageJson: pkg.packageJson, changelog });
  }
  return result;
}
