import { globSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo this tool checks: two levels above tools/release-check. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;
export type DependencyField = (typeof DEPENDENCY_FIELDS)[number];

export type PackageJson = {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  workspaces?: string[];
  engines?: Record<string, string>;
  exports?: unknown;
  repository?: { type?: string; url?: string; directory?: string } | string;
  publishConfig?: { access?: string };
  nx?: { implicitDependencies?: string[] };
} & Partial<Record<DependencyField, Record<string, string>>>;

export interface WorkspacePackage {
  name: string;
  /** Absolute path of the package directory. */
  dir: string;
  /** Path from the repository root, with forward slashes (e.g. `packages/host`). */
  relativeDir: string;
  packageJson: PackageJson;
}

export function readPackageJson(dir: string): PackageJson {
  const file = path.join(dir, 'package.json');
  const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof value !== 'object' || value === null || typeof (value as { name?: unknown }).name !== 'string') {
    throw new Error(`${file} has no "name"`);
  }
  return value as PackageJson;
}

/** Every package matched by the root package.json `workspaces` globs, the way npm finds them. */
export function listWorkspacePackages(root: string = repoRoot): WorkspacePackage[] {
  const patterns = readPackageJson(root).workspaces ?? [];
  const manifests = globSync(
    patterns.map((pattern) => `${pattern.replace(/\/$/, '')}/package.json`),
    { cwd: root },
  );
  return manifests
    .map((manifest) => {
      const relativeDir = path.dirname(manifest).split(path.sep).join('/');
      const dir = path.join(root, relativeDir);
      const packageJson = readPackageJson(dir);
      return { name: packageJson.name, dir, relativeDir, packageJson };
    })
    .sort((a, b) => a.relativeDir.localeCompare(b.relativeDir));
}

/** The packages `changeset publish` would put on npm: every workspace package not marked private. */
export function listPublishablePackages(root: string = repoRoot): WorkspacePackage[] {
  return listWorkspacePackages(root).filter((pkg) => pkg.packageJson.private !== true);
}

/** The internal (workspace) dependencies of a package, per dependency field. */
export function internalDependencies(
  packageJson: PackageJson,
  workspaceNames: ReadonlySet<string>,
): { field: DependencyField; name: string; range: string }[] {
  return DEPENDENCY_FIELDS.flatMap((field) =>
    Object.entries(packageJson[field] ?? {})
      .filter(([name]) => workspaceNames.has(name))
      .map(([name, range]) => ({ field, name, range })),
  );
}
