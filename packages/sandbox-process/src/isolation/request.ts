import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { PluginManifest } from '@clawdesk/manifest';
import type { SandboxContext } from '@clawdesk/sandbox';
import { ancestorModulePaths, grantsFor } from '../runtime/grants.js';
import type { Launch } from '../runtime/launch.js';
import type { IsolationRequest } from './index.js';

/**
 * What a plugin's mount namespace shows: its grants, plus the dependencies above its dir for every
 * runtime (imports must resolve; the runtime's own model still limits node's reads to its grants).
 */
export function isolationRequest(manifest: PluginManifest, ctx: SandboxContext, launch: Launch, allowAncestorNodeModules: boolean): IsolationRequest {
  const grants = grantsFor(manifest, ctx.dataDir);
  const modules = allowAncestorNodeModules ? ancestorModulePaths(manifest.dir) : [];
  // Deno's module cache, when the host shares one: read-only, so a plugin cannot poison it.
  const denoDir = manifest.runtime === 'deno' && launch.env.DENO_DIR ? [launch.env.DENO_DIR] : [];
  return {
    manifest,
    launch,
    readOnly: [...grants.read, ...modules, ...projectFilesBeside(modules), ...denoDir],
    readWrite: grants.write.map(createMissing),
    logger: ctx.logger,
  };
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
