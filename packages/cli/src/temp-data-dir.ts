/**
 * The data dir of a CLI run given no `--data-dir`: a fresh temp dir, removed when the run ends.
 * A run killed before its cleanup (SIGKILL, a crash, a closed terminal) cannot remove it, so each
 * dir holds an owner file naming its process, and the next run removes the dirs whose owner has
 * died. Only dirs with an owner file written by this code on this machine and in this PID
 * namespace are touched: a PID means nothing elsewhere (another container sharing /tmp).
 */
import { readlinkSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const PREFIX = 'clawdesk-';
/** Starts with a dot: never a plugin's data dir (plugin names start with a letter or digit). */
export const OWNER_FILE = '.clawdesk-owner.json';

interface Owner {
  pid: number;
  host: string;
  pidNamespace: string;
}

/** Makes this run's temp data dir under `tmp`, after removing the ones left by runs that died. */
export async function createTempDataDir(tmp = os.tmpdir()): Promise<string> {
  await removeOrphans(tmp);
  const dir = await mkdtemp(path.join(tmp, PREFIX));
  await writeFile(path.join(dir, OWNER_FILE), JSON.stringify(self()));
  return dir;
}

/** Removes the temp data dirs under `tmp` whose owning run is no longer alive; never throws. */
export async function removeOrphans(tmp = os.tmpdir()): Promise<string[]> {
  const names = await readdir(tmp).catch(() => [] as string[]);
  const me = self();
  const removed: string[] = [];
  await Promise.all(
    names
      .filter((name) => name.startsWith(PREFIX))
      .map(async (name) => {
        const dir = path.join(tmp, name);
        const owner = await readOwner(dir);
        // No owner file: not ours, or a run still between mkdtemp and writing it.
        if (owner === undefined || owner.host !== me.host || owner.pidNamespace !== me.pidNamespace || isAlive(owner.pid)) return;
        await rm(dir, { recursive: true, force: true }).then(
          () => removed.push(dir),
          () => {}, // another run removed it first, or it is not ours to remove
        );
      }),
  );
  return removed;
}

async function readOwner(dir: string): Promise<Owner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path.join(dir, OWNER_FILE), 'utf8')) as Partial<Owner>;
    if (!Number.isInteger(owner.pid) || owner.pid! <= 0 || typeof owner.host !== 'string' || typeof owner.pidNamespace !== 'string') return undefined;
    return owner as Owner;
  } catch {
    return undefined;
  }
}

function self(): Owner {
  return { pid: process.pid, host: os.hostname(), pidNamespace: pidNamespace() };
}

/** Linux: the PID namespace's id (`pid:[4026531836]`); elsewhere there is one. */
function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}

/** Signal 0 tests for the process without touching it; EPERM: alive, but another user's. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
