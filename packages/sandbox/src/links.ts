import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** A symlink under a plugin's dir that leads outside what the plugin may reach. */
export interface SymlinkEscape {
  /** The link's own path. */
  link: string;
  /** Where it leads: its real path, or (dangling) its target resolved next to the link. */
  target: string;
}

/** Whether `p` is `root` or inside it (both absolute). */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * Every symlink under `root` (links are not followed) whose target is outside all of
 * `allowed(link)`. Runtimes check a path by its text and the OS then follows links, so a
 * `rootfs -> /` shipped in a granted dir would grant the whole machine: drivers refuse to load
 * such a plugin. `allowed` gets the link's path and returns the real dirs it may point into.
 */
export function symlinkEscapes(root: string, allowed: (link: string) => readonly string[]): SymlinkEscape[] {
  const escapes: SymlinkEscape[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const p = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        const target = linkTarget(p);
        if (!allowed(p).some((root) => isInside(root, target))) escapes.push({ link: p, target });
      } else if (entry.isDirectory()) walk(p);
    }
  };
  walk(root);
  return escapes;
}

function linkTarget(link: string): string {
  try {
    return realpathSync(link);
  } catch {
    // Dangling (or a loop): judge where it points, since its target may appear later.
    try {
      return path.resolve(path.dirname(link), readlinkSync(link));
    } catch {
      return link;
    }
  }
}
