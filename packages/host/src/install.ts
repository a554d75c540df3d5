import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadManifest, MANIFEST_FILE, ManifestError, mcpServerManifestDoc, type McpServerManifestOptions, type PluginManifest } from '@clawdesk/manifest';
import { type RegistryEntry, RegistryError } from '@clawdesk/registry';
import { isSandboxError } from '@clawdesk/sandbox';
import type { PacoteManifest, PacoteOptions } from 'pacote';
import { loadPacote } from './pacote-loader.js';
import { KeyedLock } from './async.js';
import { HostError, InstallError, type InstallErrorCode, InvalidOptionsError } from './errors.js';
import { DependencyInstallFailure, type DependencyInstallOptions, dependencyCount, installDependencies } from './install-deps.js';
import type { PluginLifecycle } from './watch.js';

export type InstallPhase = 'resolve' | 'fetch' | 'cached' | 'extract' | 'validate' | 'dependencies' | 'load';

export interface InstallProgress {
  /**
   * `resolve` → `fetch` (or `cached`: the tarball came from the local cache) → `extract` → `validate`
   * → `dependencies` (only when the package has any: first the count, then npm's lines) → `load`.
   */
  phase: InstallPhase;
  detail?: string;
}

export interface InstallOptions extends DependencyInstallOptions {
  /** Plugins directory to install into (as `<dir>/<package name>`). Default: the host's first `pluginDirs` entry. */
  dir?: string;
  /** Cancels the install (`CANCELLED`); nothing is left behind. */
  signal?: AbortSignal;
  onProgress?(progress: InstallProgress): void;
  /** npm registry URL for `npm:` specs and the plugin's dependencies. Default `https://registry.npmjs.org/` (dependencies: your npm config). */
  registry?: string;
  /** Expected SRI of the tarball (`sha512-…`), checked on top of the registry's own. */
  integrity?: string;
  /**
   * The package is an MCP stdio server with no clawdesk manifest: write a `plugin.json5` for it
   * from its `bin` (`mcpServerManifestDoc` of `@clawdesk/manifest`), with these args and name.
   * A package that has a manifest keeps its own.
   */
  mcp?: McpServerManifestOptions;
}

/** Payload of the host's 'installed' event. */
export interface InstalledEvent {
  plugin: string;
  version: string;
  /** npm package `name@version`. */
  package: string;
  spec: string;
  dir: string;
  integrity: string | undefined;
  /** The tarball came from the local cache (no download). */
  cached: boolean;
  /** Version that was installed there before, when this replaced one. */
  replaced: string | undefined;
}

/** Hidden directory inside the plugins dir where packages are unpacked before being moved into place. */
export const STAGING_DIR = '.clawdesk-install';

export interface InstallContext {
  dataDir: string;
  pluginDirs: readonly string[];
  onInstalled(event: InstalledEvent): void;
}

// Installs into one destination never interleave (per host).
const locks = new WeakMap<PluginLifecycle, KeyedLock>();

/**
 * Fetches `npm:<name>[@<range>]` (or `file:<tarball>`) with pacote, integrity checked, through the
 * cache under `<dataDir>/.cache/npm`; unpacks it into a staging dir next to its destination, checks
 * its manifest, moves it into place (the previous copy kept until the new one loads) and loads it —
 * or reloads it, with the zero-downtime swap, when the host already runs the plugin from there.
 * On any failure the plugins dir is as it was.
 */
export async function installPlugin(target: PluginLifecycle, spec: string, opts: InstallOptions, ctx: InstallContext): Promise<RegistryEntry> {
  const { fetchSpec, fromRegistry } = parseSpec(spec);
  const dirOption = opts.dir ?? ctx.pluginDirs[0];
  if (typeof dirOption !== 'string' || dirOption === '') {
    throw new InvalidOptionsError('dir', 'a plugins directory (or createHost({ pluginDirs }))', dirOption);
  }
  const dir = path.resolve(dirOption);
  const { signal } = opts;
  const progress = (phase: InstallPhase, detail?: string) => opts.onProgress?.(detail === undefined ? { phase } : { phase, detail });
  const checkAborted = () => {
    if (signal?.aborted) throw new InstallError('CANCELLED', `install of ${spec} was cancelled`, { spec, cause: signal.reason });
  };
  const base: PacoteOptions = {
    cache: path.join(ctx.dataDir, '.cache', 'npm'),
    ...(opts.registry === undefined ? {} : { registry: opts.registry }),
    ...(opts.integrity === undefined ? {} : { integrity: opts.integrity }),
    ...(signal ? { signal } : {}),
  };

  let staged: string | undefined;
  let pkg: string | undefined;
  try {
    checkAborted();
    const pacote = await loadPacote(spec);
    progress('resolve', spec);
    const found: PacoteManifest = await pacote.manifest(fetchSpec, base);
    // The name comes from the package itself (a tarball's package.json, a registry's packument) and
    // names its directory: `a/../../x` would put the plugin, and its backup dance, outside `dir`.
    if (typeof found.name !== 'string' || !NPM_NAME.test(found.name)) {
      throw new InstallError('INVALID_PACKAGE', `cannot install ${spec}: its package.json name ${JSON.stringify(found.name)} is not an npm package name`, {
        spec,
        data: { name: found.name },
      });
    }
    pkg = `${found.name}@${found.version}`;
    checkAborted();

    const staging = path.join(dir, STAGING_DIR);
    staged = await makeStagingDir(staging);
    const exact: PacoteOptions = {
      ...base,
      ...(found._integrity ? { integrity: found._integrity } : {}),
      ...(found._resolved ? { resolved: found._resolved } : {}),
    };
    let cached = false;
    if (fromRegistry && found._integrity && found._resolved) {
      // Offline first: a hit means this exact tarball was fetched (and verified) before.
      cached = await pacote.extract(fetchSpec, staged, { ...exact, offline: true }).then(
        () => true,
        () => false,
      );
      checkAborted();
    }
    if (cached) {
      progress('cached', `${pkg} (${found._integrity})`);
    } else {
      progress('fetch', found._resolved ?? fetchSpec);
      await pacote.extract(fetchSpec, staged, exact);
    }
    progress('extract', pkg);

    progress('validate', pkg);
    let manifest: PluginManifest;
    try {
      manifest = await loadManifest(staged).catch(async (error: unknown) => {
        if (!(opts.mcp && error instanceof ManifestError && error.code === 'MANIFEST_NOT_FOUND')) throw error;
        await writeMcpManifest(staged!, opts.mcp);
        return loadManifest(staged!);
      });
    } catch (error) {
      if (error instanceof ManifestError && error.code === 'MANIFEST_NOT_FOUND') {
        throw new InstallError('NO_MANIFEST', `package ${pkg} is not a clawdesk plugin: it has neither plugin.json5 nor openclaw.plugin.json (an MCP stdio server can be installed with the mcp option, clawdesk install --mcp)`, {
          spec,
          data: { package: pkg },
        });
      }
      throw error;
    }
    checkAborted();

    const deps = await dependencyCount(staged);
    if (deps > 0) {
      progress('dependencies', `${deps} ${deps === 1 ? 'dependency' : 'dependencies'} of ${pkg}`);
      await installDependencies({
        dir: staged,
        cache: base.cache as string,
        registry: opts.registry,
        signal,
        ...(opts.allowScripts === undefined ? {} : { allowScripts: opts.allowScripts }),
        ...(opts.dependencyOverrides === undefined ? {} : { dependencyOverrides: opts.dependencyOverrides }),
        ...(opts.npm === undefined ? {} : { npm: opts.npm }),
        onLine: (line) => progress('dependencies', line),
      });
      checkAborted();
    }

    const dest = path.join(dir, safeName(found.name));
    const from = staged;
    let lock = locks.get(target);
    if (!lock) locks.set(target, (lock = new KeyedLock()));
    const { entry, replaced } = await lock.run(dest, async () => {
      checkAborted();
      const previous = target.list().find((e) => path.resolve(e.manifest.dir) === dest);
      let backup: string | undefined;
      if (await exists(dest)) {
        backup = path.join(staging, `old-${randomBytes(6).toString('hex')}`);
        await rename(dest, backup);
      }
      await rename(from, dest);
      staged = undefined;
      progress('load', `${manifest.name} from ${dest}`);
      try {
        const loaded = previous ? await target.reload(previous.name) : await target.load(dest);
        if (backup) await rm(backup, { recursive: true, force: true });
        return { entry: loaded, replaced: previous?.manifest.version };
      } catch (error) {
        // Put the previous files back; a plugin the failed load left listed as `failed` goes too.
        const failed = previous ? undefined : target.list().find((e) => e.name === manifest.name && path.resolve(e.manifest.dir) === dest);
        if (failed) await target.unload(failed.name).catch(() => {});
        await rm(dest, { recursive: true, force: true });
        if (backup) await rename(backup, dest);
        throw error;
      }
    });
    ctx.onInstalled({
      plugin: entry.name,
      version: entry.manifest.version,
      package: pkg,
      spec,
      dir: dest,
      integrity: found._integrity,
      cached,
      replaced,
    });
    return entry;
  } catch (error) {
    throw installError(error, spec, pkg, opts, signal);
  } finally {
    if (staged) await rm(staged, { recursive: true, force: true });
    await rmdir(path.join(dir, STAGING_DIR)).catch(() => {});
  }
}

const NPM_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** `npm:<name>[@<range|tag>]` → a registry spec; `file:<tarball>` stays as is. Git, URLs, directories and aliases are refused. */
function parseSpec(spec: unknown): { fetchSpec: string; fromRegistry: boolean } {
  const invalid = (why: string) =>
    new InstallError('INVALID_SPEC', `cannot install "${String(spec)}": ${why}; use npm:<name>[@<range>] or file:<path to .tgz>`, { spec: String(spec) });
  if (typeof spec !== 'string') throw invalid('the spec must be a string');
  if (spec.startsWith('npm:')) {
    const rest = spec.slice(4);
    const at = rest.indexOf('@', 1);
    const name = at === -1 ? rest : rest.slice(0, at);
    const range = at === -1 ? '' : rest.slice(at + 1);
    if (!NPM_NAME.test(name)) throw invalid(`"${name}" is not an npm package name`);
    if (/[:/\\]/.test(range)) throw invalid(`"${range}" is not a version, range or tag`);
    return { fetchSpec: rest, fromRegistry: true };
  }
  if (spec.startsWith('file:')) {
    if (!/\.(tgz|tar\.gz|tar)$/.test(spec)) throw invalid('a file: spec must name a package tarball (.tgz); load a directory with host.load(dir)');
    return { fetchSpec: spec, fromRegistry: false };
  }
  throw invalid('unsupported spec');
}

/** `@scope/name` → `@scope+name`: one directory level, still recognisable. */
function safeName(name: string): string {
  return name.replace('/', '+');
}

async function makeStagingDir(staging: string): Promise<string> {
  // Another install may remove an empty staging dir between the two calls: try again once.
  for (let attempt = 0; ; attempt++) {
    await mkdir(staging, { recursive: true });
    try {
      return await mkdtemp(path.join(staging, 'new-'));
    } catch (error) {
      if (attempt > 0 || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

const exists = (p: string): Promise<boolean> => lstat(p).then(() => true, () => false);

/** pacote's and npm's error codes → the host's typed errors; ours and manifest errors pass through. */
function installError(error: unknown, spec: string, pkg: string | undefined, opts: InstallOptions, signal: AbortSignal | undefined): Error {
  if (error instanceof HostError || error instanceof ManifestError || error instanceof RegistryError || isSandboxError(error)) return error;
  let e = (error ?? {}) as NodeJS.ErrnoException & Record<string, unknown>;
  // A stream's 'error' event nobody listened to arrives wrapped (integrity failures inside pacote do).
  if (e.code === 'ERR_UNHANDLED_ERROR' && e['context'] instanceof Error) e = e['context'] as typeof e;
  const detail = e.message ?? String(error);
  const make = (code: InstallErrorCode, message: string, data: Record<string, unknown> = {}) =>
    new InstallError(code, message, { spec, cause: error, data: { ...(pkg ? { package: pkg } : {}), ...data } });
  if (signal?.aborted) return make('CANCELLED', `install of ${spec} was cancelled`);
  if (error instanceof DependencyInstallFailure) {
    return make('DEPENDENCIES_FAILED', `cannot install the dependencies of ${pkg ?? spec}: ${error.message}`, {
      ...(error.detail.exitCode === undefined ? {} : { exitCode: error.detail.exitCode }),
      ...(error.detail.npm === undefined ? {} : { npm: error.detail.npm }),
      ...(error.detail.stderr === undefined ? {} : { stderr: error.detail.stderr }),
    });
  }
  const registry = opts.registry ?? 'https://registry.npmjs.org/';
  switch (e.code) {
    case 'E404':
      return make('NPM_NOT_FOUND', `package ${packageName(spec)} was not found in ${registry}`, { registry });
    case 'ENOENT':
      if (spec.startsWith('file:')) return make('NPM_NOT_FOUND', `no package tarball at ${spec.slice(5)}`, { path: e.path });
      break;
    case 'ETARGET': {
      const versions = Array.isArray(e['versions']) ? e['versions'] : [];
      return make(
        'NO_MATCHING_VERSION',
        `no version of ${packageName(spec)} satisfies "${String(e['wanted'] ?? '')}"${versions.length ? ` (published: ${versions.join(', ')})` : ''}`,
        { wanted: e['wanted'], versions },
      );
    }
    case 'EINTEGRITY': {
      const expected = e['expected'] === undefined ? opts.integrity : String(e['expected']);
      const found = e['found'] === undefined ? undefined : String(e['found']);
      const why = found === undefined ? detail : `expected ${expected}, got ${found}`;
      return make('INTEGRITY_MISMATCH', `integrity check failed for ${pkg ?? spec}: ${why}`, { expected, found });
    }
    case 'EINVALIDTAGNAME':
    case 'EINVALIDPACKAGENAME':
    case 'EUNSUPPORTEDPROTOCOL':
      return make('INVALID_SPEC', `cannot install "${spec}": ${detail}`);
  }
  return make('INSTALL_FAILED', `install of ${spec} failed: ${detail}`);
}

function packageName(spec: string): string {
  const rest = spec.replace(/^npm:/, '');
  const at = rest.indexOf('@', 1);
  return at === -1 ? rest : rest.slice(0, at);
}

/** Writes the `plugin.json5` synthesized from the staged package's `bin`, saying where it came from. */
async function writeMcpManifest(dir: string, options: McpServerManifestOptions): Promise<void> {
  const pkgFile = path.join(dir, 'package.json');
  const doc = mcpServerManifestDoc(JSON.parse(await readFile(pkgFile, 'utf8')), options, pkgFile);
  const text = `// Written by clawdesk install --mcp from package.json "bin": an MCP stdio server as a process plugin.\n${JSON.stringify(doc, null, 2)}\n`;
  await writeFile(path.join(dir, MANIFEST_FILE), text, { flag: 'wx' });
}
