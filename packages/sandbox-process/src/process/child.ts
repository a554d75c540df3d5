import type { Readable, Writable } from 'node:stream';
import { execa } from 'execa';
import type { PluginIsolation } from '../isolation/index.js';
import type { Launch } from '../runtime/launch.js';
import { waitAtMost } from '../util/wait.js';

export interface ChildExit {
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started at all (e.g. `ENOENT`). */
  spawnError?: Error;
  /** The OS sandbox's memory cgroup killed the tree for exceeding permissions.memoryMb. */
  oomKilled?: boolean;
}

/** One plugin process, the leader of its own process group. */
export interface ChildHandle {
  readonly pid: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Settles once, when the leader has exited (or failed to start). Never rejects. */
  readonly exited: Promise<ChildExit>;
  readonly hasExited: boolean;
  /** Ends stdin and sends SIGTERM to the group, then SIGKILL to whatever is left after `graceMs`. Resolves once the leader exited. */
  terminate(graceMs: number): Promise<ChildExit>;
  /** SIGKILL to the whole group, now. */
  kill(): void;
}

/** Signals a whole process group; a group that is already gone is not an error. */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nobody left in the group.
  }
}

/**
 * Starts the process with execa: no shell, only the given environment, in its own process group
 * (`killDescendants`), and with execa's `cleanup` so a host that exits — normally or by a signal —
 * SIGKILLs the group (`killSignal`) instead of leaving it behind. Graceful stops go through `terminate`.
 */
export function spawnChild(plain: Launch, isolation?: PluginIsolation): ChildHandle {
  // In the OS sandbox the runtime is pid 1 of its own pid namespace: our SIGKILL of the group (or
  // the host's death, via pdeathsig) ends the namespace and so every descendant, setsid or not.
  const sandbox = isolation?.prepare();
  const launch = sandbox?.launch ?? plain;
  const subprocess = execa(launch.file, launch.args, {
    cwd: launch.cwd,
    env: launch.env,
    extendEnv: false,
    shell: false,
    stdio: ['pipe', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
    killDescendants: true,
    cleanup: true,
    killSignal: 'SIGKILL',
    forceKillAfterDelay: false,
  });
  // reject: false resolves with a result; this only keeps a stray rejection from becoming unhandled.
  subprocess.catch(() => undefined);
  const pid = subprocess.pid;
  if (pid !== undefined) sandbox?.started?.(pid);
  const node = subprocess.nodeChildProcess;
  let exited = false;
  const exitPromise = new Promise<ChildExit>((resolve) => {
    node.once('exit', (code, signal) => {
      exited = true;
      // Whatever the leader left running in its group goes with it.
      signalGroup(pid, 'SIGKILL');
      const oomKilled = sandbox?.oomKilled() ?? false;
      void sandbox?.cleanup().catch(() => undefined);
      resolve({ code, signal, ...(oomKilled ? { oomKilled } : {}) });
    });
    node.once('error', (error) => {
      if (node.pid !== undefined) return;
      exited = true;
      void sandbox?.cleanup().catch(() => undefined);
      resolve({ code: null, signal: null, spawnError: error });
    });
  });

  const handle: ChildHandle = {
    pid,
    stdin: subprocess.stdin,
    stdout: subprocess.stdout,
    stderr: subprocess.stderr,
    exited: exitPromise,
    get hasExited() {
      return exited;
    },
    async terminate(graceMs) {
      if (!exited) {
        subprocess.stdin.end();
        signalGroup(pid, 'SIGTERM');
        await waitAtMost(exitPromise, graceMs);
      }
      signalGroup(pid, 'SIGKILL');
      return exitPromise;
    },
    kill() {
      signalGroup(pid, 'SIGKILL');
    },
  };
  return handle;
}
