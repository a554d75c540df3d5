import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * A network namespace held open by a long-lived `sleep`: only `lo`, up. `run()` executes a command
 * inside it (network namespace only, like a plugin would be) and resolves to its output.
 */
export interface Netns {
  pid: number;
  run(command: string, args: string[], env?: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export const NSENTER_AVAILABLE = existsSync('/usr/bin/nsenter') || existsSync('/bin/nsenter');

export async function createNetns(): Promise<Netns> {
  const holder: ChildProcess = spawn('unshare', ['--net', 'sh', '-c', 'ip link set lo up && echo ready && exec sleep 600'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: holder.stdout! });
  const [line] = (await Promise.race([once(lines, 'line'), once(holder, 'exit').then(() => [undefined])])) as [string | undefined];
  if (line !== 'ready') throw new Error('could not create a network namespace with unshare --net');
  const pid = holder.pid!;
  return {
    pid,
    run(command, args, env = {}) {
      return new Promise((resolve) => {
        execFile(
          'nsenter',
          [`--net=/proc/${pid}/ns/net`, command, ...args],
          { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', FORCE_COLOR: '0', ...env }, timeout: 15_000, maxBuffer: 16 * 1024 * 1024 },
          (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
        );
      });
    },
    async close() {
      if (holder.exitCode !== null || holder.signalCode !== null) return;
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    },
  };
}
