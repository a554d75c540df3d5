import { closeSync, existsSync, mkdirSync, openSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { PluginManifest } from '@clawdesk/manifest';
import { isInside, type SandboxContext } from '@clawdesk/sandbox';
import { ancestorModulePaths, grantsFor } from '../runtime/grants.js';
import type { ProcessRuntime } from '../options.js';
import type { Launch } from '../runtime/launch.js';
import type { IsolationRequest } from './index.js';

/**
 * What a plugin's mount namespace shows: its grants, plus the dependencies above its dir for every
 * runtime (imports must resolve; the runtime's own model still limits node's reads to its grants).
 */
export function isolationRequest(manifest: PluginManifest, ctx: SandboxContext, launch: Launch, allowAncestorNodeModules: boolean): IsolationRequest {
  const grants = grantsFor(manifest, ctx.dataDir);
  const modules = allowAncestorNodeModules ? mountedModules(manifest.dir) : [];
  // Deno's module cache, when the host shares one: read-only, so a plugin cannot poison it.
  const denoDir = manifest.runtime === 'deno' && launch.env.DENO_DIR ? [launch.env.DENO_DIR] : [];
  return {
    manifest,
    runtime: manifest.runtime as ProcessRuntime,
    launch,
    readOnly: [...grants.read, ...modules, ...projectFilesBeside(modules), ...denoDir],
    readWrite: grants.write.map(createMissing),
    logger: ctx.logger,
  };
}

/**
 * The dependencies above the plugin dir as whole folders: each ancestor's `node_modules` (one bind,
 * not one per package) plus the real dirs of the workspace packages linked into it. Any other link
 * in there resolves inside the sandbox's root, which shows nothing more; node's own model still
 * limits its reads to the per-package grants.
 */
function mountedModules(pluginDir: string): string[] {
  const folders: string[] = [];
  let current = path.dirname(realpathSync(pluginDir));
  for (;;) {
    const modules = path.join(current, 'node_modules');
    const realModules = existsSync(modules) ? realpathSync(modules) : undefined;
    if (realModules && isInside(current, realModules)) folders.push(realModules);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  const linked = ancestorModulePaths(pluginDir).filter((p) => !folders.some((folder) => isInside(folder, p)));
  return [...new Set([...folders, ...linked])];
}

/**
 * A mount namespace can only show what exists, so a write grant that does not exist yet is created
 * (inside the plugin or data dir, where grants must lie): empty, as a file when its name has an
 * extension (`./out.json`), else as a directory (`./cache`).
 */
function createMissing(p: string): string {
  if (existsSync(p)) return p;
  if (path.extname(p) === '') {
    mkdirSync(p, { recursive: true });
  } else {
    mkdirSync(path.dirname(p), { recursive: true });
    closeSync(openSync(p, 'a'));
  }
  return p;
}

/**
 * The package.json next to each granted node_modules: deno resolves bare imports only inside a
 * project it recognises by that file.
 */
function projectFilesBeside(modules: string[]): string[] {
  return modules
    .filter((p) => path.basename(p) === 'node_modules')
    .map((p) => path.join(path.dirname(p), 'package.json'))
    .filter((p) => existsSync(p));
}
