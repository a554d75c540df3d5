import { readdirSync, realpathSync, type Dirent } from 'node:fs';
import { isInside } from '@clawdesk/sandbox';
import path from 'node:path';
import type { PluginManifest } from '@clawdesk/manifest';

/** What a manifest asks of the process sandbox, with paths made absolute. Runtime adapters turn this into flags. */
export interface Grants {
  /** Absolute path of the entry file. */
  entry: string;
  /** Directories and files the plugin may read: its own dir, `permissions.fs.read`, its data dir. */
  read: string[];
  /** `permissions.fs.write` and the data dir. */
  write: string[];
  allowedHosts: string[];
  env: string[];
  memoryMb: number;
  /** `extra.allowChildProcess === true`: the plugin may spawn processes (which run outside the runtime's permission model). */
  allowChildProcess: boolean;
  /** `extra.allowWorker === true`: the plugin may start worker threads (node). */
  allowWorker: boolean;
}

/** Permission checks compare real paths, so symlinks are resolved where the path exists. */
const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

const unique = (paths: string[]) => [...new Set(paths)];

/**
 * `permissions.fs` dirs inside the plugin dir by their path but not by their real path (a symlink
 * such as `data -> /etc`): the manifest only checks the path text, and a runtime grant follows the
 * link. Checked at every start, since a link can change after the manifest was read. Paths outside
 * by their text are not a manifest's (it refuses them) but a host-side driver's own grants.
 */
export function fsEscapes(manifest: PluginManifest): { field: string; path: string; realPath: string }[] {
  const inside = (root: string, p: string) => {
    const rel = path.relative(root, p);
    return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
  };
  const dir = path.resolve(manifest.dir);
  const realDir = real(dir);
  const escapes = [];
  for (const [field, paths] of [['fs.read', manifest.permissions.fs.read], ['fs.write', manifest.permissions.fs.write]] as const) {
    for (const p of paths) {
      const lexical = path.resolve(dir, p);
      const realPath = real(lexical);
      if (inside(dir, lexical) && !inside(realDir, realPath)) escapes.push({ field: `permissions.${field}`, path: p, realPath });
    }
  }
  return escapes;
}

export function grantsFor(manifest: PluginManifest, dataDir: string): Grants {
  const dir = real(manifest.dir);
  const inDir = (p: string) => real(path.resolve(dir, p));
  const { permissions, extra } = manifest;
  return {
    entry: path.resolve(dir, manifest.entry),
    read: unique([dir, ...permissions.fs.read.map(inDir), real(dataDir)]),
    write: unique([...permissions.fs.write.map(inDir), real(dataDir)]),
    allowedHosts: [...permissions.network.allowedHosts],
    env: [...permissions.env],
    memoryMb: permissions.memoryMb,
    allowChildProcess: extra.allowChildProcess === true,
    allowWorker: extra.allowWorker === true,
  };
}

/**
 * The `node_modules` folders Node's resolver would search above `dir`, plus the real locations of
 * the packages linked into them (workspaces, pnpm): what a plugin needs to read to import its dependencies.
 *
 * Node checks a path by its text and the OS follows links, so granting a `node_modules` grants
 * wherever its links lead. A link is granted only when its real path is inside the folder holding
 * that `node_modules` and neither that folder nor an ancestor of the plugin (a workspace link
 * stays, `zz -> /` or `zz -> ..` does not). A `node_modules` with such a link is granted entry by
 * entry, leaving the link out. Links deeper inside packages are not inspected.
 */
export function ancestorModulePaths(dir: string): string[] {
  const found: string[] = [];
  const plugin = real(dir);
  let current = path.dirname(plugin);
  for (;;) {
    const modules = path.join(current, 'node_modules');
    const realModules = real(modules);
    const entries = isInside(current, realModules) ? list(modules) : undefined;
    if (entries) {
      const sane = (target: string) => isInside(current, target) && target !== current && !isInside(target, plugin);
      const granted: string[] = [];
      let refused = false;
      const consider = (p: string, entry: Dirent) => {
        if (!entry.isSymbolicLink()) return granted.push(p);
        const target = real(p);
        if (!sane(target)) return (refused = true);
        granted.push(p, target);
      };
      for (const entry of entries) {
        const p = path.join(modules, entry.name);
        if (entry.isDirectory() && entry.name.startsWith('@')) {
          for (const inner of list(p) ?? []) consider(path.join(p, inner.name), inner);
        } else consider(p, entry);
      }
      // Without a bad link, one grant for the folder (plus the linked packages' real dirs) keeps the command line short.
      found.push(...(refused ? granted : [realModules, ...granted.filter((p) => !isInside(modules, p))]));
    }
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return unique(found);
}

function list(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
}
