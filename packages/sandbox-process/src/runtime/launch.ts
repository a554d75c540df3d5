import path from 'node:path';
import type { PluginManifest } from '@clawdesk/manifest';
import { ADAPTERS } from './adapters.js';
import { expandArgs } from './args.js';
import { ancestorModulePaths, grantsFor } from './grants.js';
import type { ProcessRuntime } from '../options.js';

/** Everything needed to start one plugin process. */
export interface Launch {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/**
 * The child's whole environment: `PATH`, `HOME` (the data dir), no colours, what the runtime needs,
 * then only the variables the manifest lists in `permissions.env` that the host has set.
 */
export function childEnv(manifest: PluginManifest, runtime: ProcessRuntime, dataDir: string, hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {
    PATH: hostEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: dataDir,
    NO_COLOR: '1',
    ...ADAPTERS[runtime].env(hostEnv),
  };
  for (const name of manifest.permissions.env) {
    const value = hostEnv[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export function buildLaunch(
  manifest: PluginManifest,
  runtime: ProcessRuntime,
  binary: string,
  dataDir: string,
  opts: { allowAncestorNodeModules: boolean; hostEnv?: NodeJS.ProcessEnv; envValues?: Record<string, string>; jitless?: boolean },
): Launch {
  const adapter = ADAPTERS[runtime];
  const grants = grantsFor(manifest, dataDir);
  const moduleReads = adapter.readsModules && opts.allowAncestorNodeModules ? ancestorModulePaths(manifest.dir) : [];
  return {
    file: binary,
    // The manifest's args follow the entry, so they reach the plugin's own argv.
    args: [...adapter.args(grants, moduleReads, { jitless: opts.jitless ?? false }), ...expandArgs(manifest.args, { pluginDir: path.resolve(manifest.dir), dataDir: path.resolve(dataDir) })],
    cwd: manifest.dir,
    // Operator values last: they are the operator's decision, over anything passed through.
    env: { ...childEnv(manifest, runtime, dataDir, opts.hostEnv ?? process.env), ...opts.envValues },
  };
}
