import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PluginManifest } from '@clawdesk/manifest';
import { LoadFailedError, symlinkEscapes, type Logger } from '@clawdesk/sandbox';

/** WASI preopens for `permissions.fs`: guest path → host path, plus which guest paths are read-only. */
export interface Preopens {
  preopens: Record<string, string>;
  readOnly: string[];
}

/**
 * Maps `permissions.fs.read` / `.write` (relative to the plugin dir) to WASI preopens named
 * `/<relative path>` (`.` → `/`). A dir in both lists is writable. A path that is not an existing
 * directory is skipped with a warning (the driver never creates files in a plugin's dir); one
 * leaving the plugin dir, by `..` or through a symlink, fails the load. So does a symlink inside
 * a preopen that leads out of that preopen: uvwasi follows links in the middle of a path
 * wherever they point (`rootfs -> /` read the host's /proc/self/environ), and a link from a
 * writable dir into a read-only one would make it writable. The plugin cannot make links
 * itself (path_symlink is refused).
 */
export function preopensFor(manifest: PluginManifest, logger: Logger): Preopens {
  const modes = new Map<string, 'ro' | 'rw'>();
  for (const rel of manifest.permissions.fs.read) modes.set(rel, modes.get(rel) ?? 'ro');
  for (const rel of manifest.permissions.fs.write) modes.set(rel, 'rw');
  const preopens: Record<string, string> = {};
  const readOnly: string[] = [];
  const leaves = (rel: string) => new LoadFailedError(`permissions.fs path "${rel}" leaves the plugin directory`, { plugin: manifest.name, driver: 'wasm' });
  const outside = (from: string, to: string) => {
    const inside = path.relative(from, to);
    return inside.startsWith('..') || path.isAbsolute(inside);
  };
  let realDir: string | undefined;
  for (const [rel, mode] of modes) {
    const host = path.resolve(manifest.dir, rel);
    if (outside(manifest.dir, host)) throw leaves(rel);
    const guest = `/${path.relative(manifest.dir, host).split(path.sep).join('/')}`;
    if (!existsSync(host) || !statSync(host).isDirectory()) {
      logger.warn(`permissions.fs.${mode === 'rw' ? 'write' : 'read'} path "${rel}" is not a directory; the plugin will not see it`, { path: host });
      continue;
    }
    realDir ??= realpathSync(manifest.dir);
    const real = realpathSync(host);
    if (outside(realDir, real)) throw leaves(rel);
    const links = symlinkEscapes(real, () => [real]);
    if (links.length > 0) {
      const list = links.map((l) => `${l.link} -> ${l.target}`).join('; ');
      throw new LoadFailedError(`a symlink in permissions.fs path "${rel}" leads outside it: ${list}`, { plugin: manifest.name, driver: 'wasm', data: { links } });
    }
    preopens[guest] = real;
    if (mode === 'ro') readOnly.push(guest);
  }
  return { preopens, readOnly };
}

/** Extism config: every value a string (JSON text for non-strings). */
export function stringifyConfig(config: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}
