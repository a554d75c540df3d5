import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packPackages, type PackedPackage } from './pack.js';
import { run, runOrThrow, type RunResult } from './run.js';
import { listPublishablePackages, repoRoot } from './workspace.js';

/**
 * A temporary directory outside the workspace with the packed tarballs of every publishable package,
 * and an environment that cannot see the workspace: its `node_modules/.bin` is taken off PATH, so
 * `npx clawdesk` and every import resolve from what was installed, as for a user after `npm install`.
 */
export interface FreshProject {
  /** The project directory (real path, under the OS temp dir). */
  dir: string;
  /** Package name → its packed tarball. */
  tarballs: Map<string, PackedPackage>;
  /** Runs a command in `cwd` (default: the project) with the project's environment. */
  run(command: string, args: readonly string[], cwd?: string): Promise<RunResult>;
  /** Like `run`, but a non-zero exit rejects with everything the command printed. */
  runOrThrow(command: string, args: readonly string[], cwd?: string): Promise<RunResult>;
  /** Installs tarballs (by package name) and registry specs into `cwd` (default: the project) with npm. */
  install(specs: readonly string[], cwd?: string): Promise<RunResult>;
  dispose(): Promise<void>;
}

/**
 * PATH without anything inside the workspace, with the Node running this check first (Node 24 here;
 * the machine's own Node may be older) so `npm`, `npx` and `#!/usr/bin/env node` bins use it.
 */
export function pathOutsideWorkspace(node: string = process.execPath): string {
  const inside = (entry: string) => path.resolve(entry).startsWith(path.resolve(repoRoot));
  const rest = (process.env.PATH ?? '').split(path.delimiter).filter((entry) => entry !== '' && !inside(entry));
  return [path.dirname(node), ...rest].join(path.delimiter);
}

export async function createFreshProject(prefix: string): Promise<FreshProject> {
  const root = await realpath(await mkdtemp(path.join(tmpdir(), `clawdesk-${prefix}-`)));
  if (root.startsWith(path.resolve(repoRoot))) throw new Error(`the temp dir ${root} is inside the workspace ${repoRoot}`);
  const dir = path.join(root, 'project');
  const packs = path.join(root, 'tarballs');
  await runOrThrow('mkdir', ['-p', dir, packs], { cwd: root });
  const tarballs = new Map<string, PackedPackage>();
  for (const entry of await packPackages(listPublishablePackages().map((pkg) => pkg.dir), packs)) tarballs.set(entry.name, entry);

  const env = { PATH: pathOutsideWorkspace() };
  const project: FreshProject = {
    dir,
    tarballs,
    run: (command, args, cwd = dir) => run(command, args, { cwd, env }),
    runOrThrow: (command, args, cwd = dir) => runOrThrow(command, args, { cwd, env }),
    install: (specs, cwd = dir) =>
      project.runOrThrow(
        'npm',
        ['install', '--no-audit', '--no-fund', ...specs.map((spec) => tarballs.get(spec)?.tarball ?? spec)],
        cwd,
      ),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
  return project;
}
