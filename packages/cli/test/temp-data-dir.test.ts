import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTempDataDir, OWNER_FILE } from '../src/temp-data-dir.js';
import { env, EXAMPLES, runCli, startCli } from './run-cli.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-temp-test-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The PID of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

const pidNamespace = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
})();

async function dirOwnedBy(name: string, owner: Record<string, unknown> | undefined): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir);
  await writeFile(path.join(dir, 'state.json'), '{}');
  if (owner) await writeFile(path.join(dir, OWNER_FILE), JSON.stringify(owner));
  return dir;
}

const clawdeskDirs = async () => (await readdir(tmp)).filter((name) => name.startsWith('clawdesk-'));

describe('the temp data dir of a run without --data-dir', () => {
  it('removes the dirs of runs that died, and only those', async () => {
    const here = { host: os.hostname(), pidNamespace };
    const dead = await deadPid();
    const orphan = await dirOwnedBy('clawdesk-orphan', { pid: dead, ...here });
    const live = await dirOwnedBy('clawdesk-live', { pid: process.pid, ...here });
    const unowned = await dirOwnedBy('clawdesk-unowned', undefined);
    const elsewhere = await dirOwnedBy('clawdesk-other-namespace', { pid: dead, host: here.host, pidNamespace: 'pid:[1]' });
    const otherHost = await dirOwnedBy('clawdesk-other-host', { pid: dead, host: `not-${here.host}`, pidNamespace });
    const notOurs = await dirOwnedBy('something-else', { pid: dead, ...here });

    const dir = await createTempDataDir(tmp);

    expect(existsSync(orphan)).toBe(false);
    for (const kept of [live, unowned, elsewhere, otherHost, notOurs]) expect(existsSync(kept)).toBe(true);
    expect(JSON.parse(await readFile(path.join(dir, OWNER_FILE), 'utf8'))).toEqual({ pid: process.pid, ...here });
  });

  it('a CLI killed with SIGKILL leaves its dir behind, and the next run removes it', async () => {
    const tmpEnv = { ...env, TMPDIR: tmp };
    const dev = startCli(['dev', path.join(EXAMPLES, 'native-echo'), '--call', 'echo', '{"text":"still here"}', '--json'], { env: tmpEnv });
    await dev.waitFor('still here');
    const left = await clawdeskDirs();
    expect(left).toHaveLength(1);
    dev.child.kill('SIGKILL');
    await dev.exited;
    expect(await clawdeskDirs()).toEqual(left);

    const call = await runCli(['call', 'native-echo', 'echo', '{"text":"hi"}', '--dir', EXAMPLES], { env: tmpEnv });
    expect(call.code).toBe(0);
    expect(await clawdeskDirs()).toEqual([]);
  });
});
