import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

// A plugin's production dependencies are installed by the npm CLI, run with the host's own Node
// (`npm install --omit=dev --ignore-scripts` in the plugin dir). npm is what plugin authors test
// with, it honours the operator's .npmrc (registry, auth, proxy), verifies every tarball against
// the lockfile or the registry's integrity, and it ships with Node; @npmcli/arborist would add
// ~100 packages to every host and its API follows npm's internals from major to major.

export interface DependencyInstallOptions {
  /** Run the dependencies' lifecycle scripts (`install`, `postinstall`…). Default false: `--ignore-scripts`. */
  allowScripts?: boolean;
  /**
   * Replace where a dependency comes from, e.g. `{ '@clawdesk/plugin-sdk': 'file:/tmp/plugin-sdk.tgz' }`
   * (a mirror, a fork, a local build). A direct dependency's spec is rewritten; any other becomes an
   * npm `overrides` entry.
   */
  dependencyOverrides?: Record<string, string>;
  /** The npm CLI: a path to `npm-cli.js` (run with this Node) or to an `npm` executable. Default: found next to Node or on PATH. */
  npm?: string;
}

export interface DependencyInstallRequest extends DependencyInstallOptions {
  dir: string;
  cache: string;
  registry?: string | undefined;
  signal?: AbortSignal | undefined;
  onLine?(line: string): void;
}

export class DependencyInstallFailure extends Error {
  constructor(
    message: string,
    readonly detail: { exitCode?: number | null; stderr?: string; npm?: string },
  ) {
    super(message);
    this.name = 'DependencyInstallFailure';
  }
}

interface PackageJson {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bundleDependencies?: unknown;
  bundledDependencies?: unknown;
  overrides?: Record<string, unknown>;
  [field: string]: unknown;
}

/** The production dependencies a package.json asks for (peers too: npm installs them). */
export async function dependencyCount(dir: string): Promise<number> {
  const pkg = await readPackageJson(dir);
  if (!pkg) return 0;
  const names = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  return names.size;
}

/** Installs the production dependencies of the package in `dir` into `dir/node_modules`. */
export async function installDependencies(req: DependencyInstallRequest): Promise<void> {
  const pkgFile = path.join(req.dir, 'package.json');
  const original = await readFile(pkgFile, 'utf8');
  const overrides = req.dependencyOverrides ?? {};
  if (Object.keys(overrides).length > 0) await writeFile(pkgFile, JSON.stringify(withOverrides(JSON.parse(original) as PackageJson, overrides), null, 2));
  const npm = findNpm(req.npm);
  const args = [
    'install',
    '--omit=dev',
    '--no-audit',
    '--no-fund',
    '--no-save',
    '--install-links',
    '--prefix',
    req.dir,
    '--cache',
    req.cache,
    '--loglevel',
    'http',
    ...(req.allowScripts ? [] : ['--ignore-scripts']),
    ...(req.registry ? ['--registry', req.registry] : []),
  ];
  try {
    await run(npm, args, req);
  } finally {
    // The plugin's files stay as published; what was installed is in node_modules/.package-lock.json.
    if (Object.keys(overrides).length > 0) await writeFile(pkgFile, original);
  }
}

function withOverrides(pkg: PackageJson, overrides: Record<string, string>): PackageJson {
  const out: PackageJson = { ...pkg, overrides: { ...pkg.overrides } };
  for (const [name, spec] of Object.entries(overrides)) {
    let direct = false;
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies'] as const) {
      const deps = pkg[field];
      if (deps && name in deps) {
        out[field] = { ...out[field], [name]: spec };
        direct = true;
      }
    }
    // npm refuses an override of a direct dependency that differs from its spec (EOVERRIDE).
    if (direct) delete out.overrides?.[name];
    else (out.overrides as Record<string, unknown>)[name] = spec;
  }
  if (Object.keys(out.overrides ?? {}).length === 0) delete out.overrides;
  return out;
}

async function readPackageJson(dir: string): Promise<PackageJson | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

interface NpmCommand {
  file: string;
  prefixArgs: string[];
  shown: string;
}

/** npm-cli.js next to this Node (official builds), else the `npm` on PATH, resolved to its script so it runs on this Node. */
function findNpm(given: string | undefined): NpmCommand {
  const asCommand = (file: string): NpmCommand =>
    file.endsWith('.js') || file.endsWith('.cjs') ? { file: process.execPath, prefixArgs: [file], shown: file } : { file, prefixArgs: [], shown: file };
  if (given) return asCommand(given);
  const nodeDir = path.dirname(process.execPath);
  const candidates = [path.join(nodeDir, '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'), path.join(nodeDir, 'node_modules', 'npm', 'bin', 'npm-cli.js')];
  const execpath = process.env['npm_execpath'];
  if (execpath && /npm-cli\.c?js$/.test(execpath)) candidates.push(execpath);
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const name of process.platform === 'win32' ? ['npm.cmd'] : ['npm']) {
      const file = path.join(dir, name);
      if (!existsSync(file)) continue;
      try {
        const real = realpathSync(file);
        candidates.push(real.endsWith('.js') ? real : file);
      } catch {
        candidates.push(file);
      }
    }
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new DependencyInstallFailure('the npm CLI was not found next to Node or on PATH; pass install({ npm: "/path/to/npm-cli.js" })', {});
  }
  return asCommand(found);
}

// Variables npm sets for a lifecycle script (this host may run under `npm test -w …`) would point
// the child at another project or workspace.
const INHERITED_NPM = /^npm_(lifecycle_|package_|config_(workspaces?|include_workspace_root|global|prefix|local_prefix|location|save)$)/i;

function run(npm: NpmCommand, args: string[], req: DependencyInstallRequest): Promise<void> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!INHERITED_NPM.test(k)) env[k] = v;
  Object.assign(env, { npm_config_update_notifier: 'false', npm_config_progress: 'false', NO_COLOR: '1', FORCE_COLOR: '0' });
  return new Promise((resolve, reject) => {
    const child = spawn(npm.file, [...npm.prefixArgs, ...args], {
      cwd: req.dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32' && npm.file.endsWith('.cmd'),
      ...(req.signal ? { signal: req.signal } : {}),
    });
    let stderr = '';
    let partial = '';
    const onData = (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) req.onLine?.(line.trimEnd());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-8000);
      onData(chunk);
    });
    child.on('error', (error) => reject(req.signal?.aborted ? req.signal.reason : new DependencyInstallFailure(`could not run ${npm.shown}: ${error.message}`, { npm: npm.shown })));
    child.on('close', (code) => {
      if (req.signal?.aborted) return reject(req.signal.reason);
      if (code === 0) return resolve();
      const why = lastErrorLines(stderr);
      reject(new DependencyInstallFailure(`npm install exited with code ${code}${why ? `: ${why}` : ''}`, { exitCode: code, stderr, npm: npm.shown }));
    });
  });
}

/** npm's `npm error …` lines, which say what went wrong (E404, ETARGET, EINTEGRITY…). */
function lastErrorLines(stderr: string): string {
  const lines = stderr
    .split('\n')
    .filter((l) => /^npm (error|ERR!)/.test(l))
    .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
    .filter((l) => l && !/^A complete log of this run/.test(l) && !l.startsWith('/'));
  return lines.slice(0, 4).join('; ');
}
