import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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

/** A fresh dir only this uid can open (mode 0700). */
export function createStartDir(kind: StartDirKind, base = tmpdir()): string {
  return mkdtempSync(path.join(base, `${START_DIR_PREFIXES[kind]}${process.pid}-`));
}

export function removeStartDir(dir: string): void {
  try {
    chmodSync(dir, 0o700); // a door is unlistable until now
  } catch {
    // already gone
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
