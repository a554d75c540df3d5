import { isInside, symlinkEscapes, type SymlinkEscape } from '@clawdesk/sandbox';
import type { PluginManifest } from '@clawdesk/manifest';
import { ADAPTERS } from './adapters.js';
import { ancestorModulePaths, grantsFor } from './grants.js';
import type { ProcessRuntime } from '../options.js';

/**
 * Symlinks in the plugin dir that node or deno would follow past their grants: both check a
 * path's text, and the OS then follows the link (`rootfs -> /` reads the machine). A link under
 * an fs.write dir must stay in the write grants (or it would make a read-only dir writable);
 * any other must stay in the read grants (plugin dir, fs.read, data dir, and for node the
 * module dirs it may read). Bun enforces no file rule, so nothing is checked for it.
 */
export function linkEscapes(manifest: PluginManifest, runtime: ProcessRuntime, dataDir: string, allowAncestorNodeModules: boolean): SymlinkEscape[] {
  if (runtime === 'bun') return [];
  const grants = grantsFor(manifest, dataDir);
  const moduleReads = ADAPTERS[runtime].readsModules && allowAncestorNodeModules ? ancestorModulePaths(manifest.dir) : [];
  const reads = [...grants.read, ...moduleReads];
  // grants.read[0] is the plugin's real dir.
  return symlinkEscapes(grants.read[0]!, (link) => (grants.write.some((w) => isInside(w, link)) ? grants.write : reads));
}
