import path from 'node:path';
import { type LoadedManifest, scanPlugins } from '@clawdesk/manifest';
import { PluginNotFoundInDirsError } from './errors.js';

/**
 * Finds the plugin named `name` in the configured plugin dirs (searched in order, first match
 * wins). A broken manifest in a directory named like the plugin is thrown as its `ManifestError`,
 * which says more than "not found".
 */
export async function resolvePlugin(name: string, dirs: readonly string[]): Promise<LoadedManifest> {
  const available: string[] = [];
  for (const dir of dirs) {
    const { plugins, problems } = await scanPlugins(dir);
    const found = plugins.find((p) => p.name === name);
    if (found) return found;
    const broken = problems.find((p) => path.basename(p.dir) === name);
    if (broken) throw broken.error;
    available.push(...plugins.map((p) => p.name));
  }
  throw new PluginNotFoundInDirsError(name, [...dirs], available);
}

/** `load('weather')` resolves by name; anything that looks like a path is a directory. */
export function isPathLike(source: string): boolean {
  return path.isAbsolute(source) || source.startsWith('.') || source.includes('/') || source.includes('\\');
}
