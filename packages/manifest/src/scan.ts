import fs from 'node:fs/promises';
import path from 'node:path';
import { ManifestError } from './errors.js';
import { loadManifest, type LoadedManifest, type LoadManifestOptions } from './load.js';
import { isMissing, readError } from './read.js';

/** A plugin directory whose manifest could not be loaded. */
export interface ScanProblem {
  /** Absolute plugin directory. */
  dir: string;
  /** The file at fault (the manifest, or OpenClaw's `package.json`). */
  file: string;
  error: ManifestError;
  message: string;
}

export interface ScanResult {
  /** Sorted by directory name. */
  plugins: LoadedManifest[];
  /** Sorted by directory name. */
  problems: ScanProblem[];
}

/**
 * Loads every plugin directory directly under `dir` (symlinked directories included).
 * Plain files and directories without a manifest are skipped; a bad manifest becomes a problem
 * and never stops the scan. A missing `dir` gives an empty result. Throws `ManifestError`
 * (`MANIFEST_READ`) only when `dir` exists but cannot be listed.
 */
export async function scanPlugins(dir: string, options: LoadManifestOptions = {}): Promise<ScanResult> {
  const root = path.resolve(dir);
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch (error) {
    if (isMissing(error)) return { plugins: [], problems: [] };
    throw readError(root, error);
  }

  const result: ScanResult = { plugins: [], problems: [] };
  // Code-unit order, not locale order, so every machine sees the same sequence.
  // One at a time: plugin dirs are few, and this never runs out of file descriptors.
  for (const name of names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const pluginDir = path.join(root, name);
    try {
      result.plugins.push(await loadManifest(pluginDir, options));
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      // Covers plain files too: they have no manifest inside.
      if (error.code === 'MANIFEST_NOT_FOUND') continue;
      result.problems.push({ dir: pluginDir, file: error.file, error, message: error.message });
    }
  }
  return result;
}
