import path from 'node:path';
import { runOrThrow } from './run.js';
import { repoRoot } from './workspace.js';

export interface PackedPackage {
  name: string;
  version: string;
  /** Absolute path of the .tgz npm wrote. */
  tarball: string;
  /** Paths inside the tarball, relative to the package root (`dist/index.js`, `package.json`). */
  files: string[];
}

interface NpmPackEntry {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

/**
 * Packs the package directories with `npm pack`, exactly as `npm publish` would build the tarball,
 * into `destination`. Lifecycle scripts are skipped: packages are built by nx beforehand.
 */
export async function packPackages(dirs: readonly string[], destination: string): Promise<PackedPackage[]> {
  const { stdout } = await runOrThrow(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', destination, ...dirs],
    { cwd: repoRoot },
  );
  const entries = JSON.parse(stdout) as NpmPackEntry[];
  if (!Array.isArray(entries) || entries.length !== dirs.length) {
    throw new Error(`npm pack printed ${Array.isArray(entries) ? entries.length : 'no'} entries for ${dirs.length} directories:\n${stdout}`);
  }
  return entries.map((entry) => ({
    name: entry.name,
    version: entry.version,
    tarball: path.join(destination, entry.filename),
    files: entry.files.map((file) => file.path).sort(),
  }));
}
