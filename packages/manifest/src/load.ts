import fs from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_FILE, OPENCLAW_MANIFEST_FILE } from './constants.js';
import { ManifestError, reasonOf } from './errors.js';
import { parseDocument, parseManifest } from './parse.js';
import { isInside } from './paths.js';
import { isMissing, readError, readManifestText } from './read.js';
import type { PluginManifest } from './schema.js';

export interface ManifestLogger {
  warn(message: string): void;
}

export interface LoadManifestOptions {
  /** Receives each warning as it is found (they are also returned in `warnings`). */
  logger?: ManifestLogger;
}

/** A manifest read from disk, with what was noticed but did not stop loading. */
export interface LoadedManifest extends PluginManifest {
  /** E.g. that `openclaw.plugin.json` was ignored because `plugin.json5` exists. */
  warnings: string[];
}

/**
 * Reads the manifest of the plugin in `dir`: `plugin.json5`, else `openclaw.plugin.json`
 * (with its sibling `package.json`). Also checks that `entry` does not leave `dir` through a symlink.
 * Throws `ManifestError` and nothing else.
 */
export async function loadManifest(dir: string, options: LoadManifestOptions = {}): Promise<LoadedManifest> {
  const root = path.resolve(dir);
  const json5File = path.join(root, MANIFEST_FILE);
  const openclawFile = path.join(root, OPENCLAW_MANIFEST_FILE);
  const warnings: string[] = [];

  let manifest: PluginManifest;
  const json5Text = await readManifestText(json5File);
  if (json5Text !== undefined) {
    if (await exists(openclawFile)) warnings.push(`${openclawFile} ignored: ${MANIFEST_FILE} takes precedence`);
    manifest = parseManifest(json5Text, { file: json5File, format: 'json5', dir: root });
  } else {
    const openclawText = await readManifestText(openclawFile);
    if (openclawText === undefined) {
      throw new ManifestError('MANIFEST_NOT_FOUND', root, [
        { path: '', message: `expected ${MANIFEST_FILE} or ${OPENCLAW_MANIFEST_FILE}` },
      ]);
    }
    const packageFile = path.join(root, 'package.json');
    const packageText = await readManifestText(packageFile);
    const packageJson = packageText === undefined ? undefined : parseDocument(packageText, packageFile);
    manifest = parseManifest(openclawText, { file: openclawFile, format: 'openclaw', dir: root, packageJson });
  }

  await assertEntryInside(manifest);
  for (const warning of warnings) options.logger?.warn(warning);
  return { ...manifest, warnings };
}

const exists = (file: string): Promise<boolean> => fs.lstat(file).then(() => true, () => false);

/**
 * The schema already refuses absolute and `..` entries; this catches symlinks. The entry may not
 * be built yet, so the deepest existing part of its path is resolved, following dangling links.
 */
async function assertEntryInside(m: PluginManifest): Promise<void> {
  let realDir: string;
  try {
    realDir = await fs.realpath(m.dir);
  } catch (error) {
    throw readError(m.dir, error);
  }
  let target = path.resolve(m.dir, m.entry);
  for (;;) {
    let real: string;
    try {
      real = await fs.realpath(target);
    } catch (error) {
      if (!isMissing(error)) {
        throw new ManifestError('MANIFEST_READ', m.manifestFile, [{ path: 'entry', message: `cannot resolve: ${reasonOf(error)}` }], {
          cause: error,
        });
      }
      const link = await fs.readlink(target).catch(() => undefined);
      // Ends at the filesystem root at worst, which always exists.
      target = link === undefined ? path.dirname(target) : path.resolve(path.dirname(target), link);
      continue;
    }
    if (!isInside(realDir, real)) {
      throw new ManifestError('MANIFEST_ENTRY_ESCAPE', m.manifestFile, [
        { path: 'entry', message: `${JSON.stringify(m.entry)} resolves to ${real}, outside the plugin directory ${realDir}` },
      ]);
    }
    return;
  }
}
