import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Dirs one sandboxed process start keeps in the host's tmp dir while it runs, named
 * `<prefix><host pid>-XXXXXX` so that what a host killed with SIGKILL leaves can be told and swept.
 */
export const START_DIR_PREFIXES = {
  /** The egress door: the proxy's socket and the forwarder (forwarder.ts). */
  egress: 'clawdesk-egress-',
  /** The mount tables the sandbox chain reads (linux.ts). */
  mounts: 'clawdesk-mounts-',
} as const;

export type StartDirKind = keyof typeof START_DIR_PREFIXES;

const NOBODY = 65534;

export interface StartDir {
  /** A fresh dir (mode 0700) with a random name, inside an unlistable one: its path is a secret. */
  dir: string;
  /** Removes both dirs and everything in them. */
  remove(): void;
}

/**
 * The outer dir is unlistable (mode 0311), so the random name of the inner one cannot be found or
 * guessed. Every sandboxed process runs as root without capabilities, and the owner of a dir may
 * chmod it: a plugin granted write on the host's tmp dir could make another's start dir listable.
 * A root host therefore gives the outer dir to `nobody`, leaving the sandboxed root only its
 * search bit. (A host that is not root cannot; there the plugin is the owner, see the README.)
 */
export function createStartDir(kind: StartDirKind, base = tmpdir()): StartDir {
  const outer = mkdtempSync(path.join(base, `${START_DIR_PREFIXES[kind]}${process.pid}-`));
  const remove = () => removeStartDir(outer);
  try {
    const dir = path.join(outer, randomBytes(16).toString('hex'));
    mkdirSync(dir, { mode: 0o700 });
    if (process.getuid?.() === 0) chownSync(outer, NOBODY, NOBODY);
    chmodSync(outer, 0o311);
    return { dir, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * Removes a start dir, or whatever a plugin with write on the tmp dir renamed into its place:
 * `rm` never follows a link, and only a real dir of ours is chmod-ed (a link there would make the
 * host chmod its target). Root needs no chmod: it may list an unlistable dir anyway.
 */
function removeStartDir(dir: string): void {
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0) {
    try {
      const stat = lstatSync(dir);
      if (stat.isDirectory() && stat.uid === uid) chmodSync(dir, 0o700); // unlistable until now
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Removes the start dirs a host killed with SIGKILL left in `base` (its cleanup never ran): those
 * whose host pid names no live process. Another live host's dirs, and this one's, stay.
 */
export function removeOrphanedStartDirs(base = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return removed;
  }
  const pattern = new RegExp(`^(?:${Object.values(START_DIR_PREFIXES).join('|')})(\\d+)-`);
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    removeStartDir(path.join(base, name));
    removed.push(name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: alive, another user's
  }
}
