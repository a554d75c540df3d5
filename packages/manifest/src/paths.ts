import path from 'node:path';

/**
 * Why `p` cannot name something inside the plugin directory, or `undefined` when it can.
 * Checked on both posix and win32 rules, so a manifest written on one OS is judged the same on another.
 */
export function relativePathProblem(p: string): string | undefined {
  if (p.includes('\0')) return 'must not contain NUL characters';
  if (path.posix.isAbsolute(p) || path.win32.isAbsolute(p) || /^[A-Za-z]:/.test(p)) {
    return `must be relative to the plugin directory, got absolute path ${JSON.stringify(p)}`;
  }
  const normalized = path.posix.normalize(p.replaceAll('\\', '/'));
  if (normalized === '..' || normalized.startsWith('../')) {
    return `must stay inside the plugin directory, but ${JSON.stringify(p)} climbs out with ".."`;
  }
  return undefined;
}

/** Whether `target` is `root` or below it; both must be absolute and already resolved. */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!path.isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${path.sep}`));
}
