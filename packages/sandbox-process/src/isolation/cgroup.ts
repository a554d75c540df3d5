import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where this process may create child cgroups, found from `/proc/self/cgroup` and `/proc/mounts`. */
export interface CgroupParent {
  version: 1 | 2;
  /** The host's own memory cgroup directory (v1: the memory hierarchy; v2: the unified one). */
  memory: string;
  /** v1 only: the host's own pids cgroup directory, when that controller is mounted and writable. */
  pids?: string;
}

/** One plugin process tree's cgroup(s), removed once the tree is gone. */
export interface PluginCgroup {
  /** `cgroup.procs` files the sandbox writes `0` into (itself) before the runtime starts. */
  readonly procsFiles: string[];
  /** Whether the kernel OOM-killed a process of this cgroup because of the limit. */
  oomKilled(): boolean;
  /** Removes the cgroup dirs; retried briefly because the last tasks may still be exiting. */
  remove(): Promise<void>;
}

/** Upper bound on processes in one plugin's tree (v1 pids controller): stops fork bombs. */
export const PIDS_MAX = 512;

interface Mount {
  dir: string;
  type: string;
  options: string[];
}

const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

function cgroupMounts(mounts: string): Mount[] {
  return mounts
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[2] === 'cgroup' || f[2] === 'cgroup2')
    .map((f) => ({ dir: unescapeMount(f[1]!), type: f[2]!, options: (f[3] ?? '').split(',') }));
}

/** A controller dir is usable when we can create (and remove) a child in it and it has the limit file. */
function writableChild(dir: string, limitFile: string): boolean {
  if (!existsSync(path.join(dir, limitFile))) return false;
  const probe = path.join(dir, `clawdesk-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the host's own memory cgroup and checks it can hold children. v1 (`memory` hierarchy) is
 * preferred when mounted, since a v2 child under a cgroup that holds processes cannot enable the
 * memory controller ("no internal processes").
 */
export function findCgroupParent(
  read: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): { parent: CgroupParent } | { reason: string } {
  let self: string;
  let mounts: Mount[];
  try {
    self = read('/proc/self/cgroup');
    mounts = cgroupMounts(read('/proc/mounts'));
  } catch (error) {
    return { reason: `cannot read /proc/self/cgroup: ${(error as Error).message}` };
  }
  const lines = self.split('\n').filter(Boolean).map((l) => {
    const [, controllers = '', where = '/'] = /^\d+:([^:]*):(.*)$/.exec(l) ?? [];
    return { controllers: controllers.split(','), where };
  });
  const v1 = (controller: string) => {
    const line = lines.find((l) => l.controllers.includes(controller));
    const mount = mounts.find((m) => m.type === 'cgroup' && m.options.includes(controller));
    return line && mount ? path.join(mount.dir, line.where) : undefined;
  };
  const memory = v1('memory');
  if (memory && writableChild(memory, 'memory.limit_in_bytes')) {
    const pids = v1('pids');
    return { parent: { version: 1, memory, ...(pids && writableChild(pids, 'pids.max') ? { pids } : {}) } };
  }
  const unified = lines.find((l) => l.controllers.length === 1 && l.controllers[0] === '');
  const mount2 = mounts.find((m) => m.type === 'cgroup2');
  if (unified && mount2) {
    const dir = path.join(mount2.dir, unified.where);
    const enabled = (() => {
      try {
        return read(path.join(dir, 'cgroup.subtree_control')).split(/\s+/).includes('memory');
      } catch {
        return false;
      }
    })();
    if (enabled && writableChild(dir, 'cgroup.procs')) return { parent: { version: 2, memory: dir } };
    return { reason: `cgroup v2 at ${dir} does not delegate the memory controller to children (cgroup.subtree_control)` };
  }
  return { reason: memory ? `the memory cgroup ${memory} is not writable` : 'no memory cgroup controller is mounted' };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the cgroup(s) of one plugin process tree with `memoryMb` as its hard limit (swap included where the kernel accounts it). */
export function createPluginCgroup(parent: CgroupParent, name: string, memoryMb: number): PluginCgroup {
  const bytes = String(memoryMb * 1024 * 1024);
  const leaf = `clawdesk-${name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64)}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const dirs: string[] = [];
  const make = (base: string) => {
    const dir = path.join(base, leaf);
    mkdirSync(dir);
    dirs.push(dir);
    return dir;
  };
  try {
    const memory = make(parent.memory);
    if (parent.version === 1) {
      writeFileSync(path.join(memory, 'memory.limit_in_bytes'), bytes);
      // Without memsw the tree would swap past its limit instead of being stopped.
      const memsw = path.join(memory, 'memory.memsw.limit_in_bytes');
      if (existsSync(memsw)) writeFileSync(memsw, bytes);
    } else {
      writeFileSync(path.join(memory, 'memory.max'), bytes);
      const swap = path.join(memory, 'memory.swap.max');
      if (existsSync(swap)) writeFileSync(swap, '0');
    }
    if (parent.pids) writeFileSync(path.join(make(parent.pids), 'pids.max'), String(PIDS_MAX));
  } catch (error) {
    for (const dir of dirs) tryRmdir(dir);
    throw error;
  }
  const memoryDir = dirs[0]!;
  return {
    procsFiles: dirs.map((d) => path.join(d, 'cgroup.procs')),
    oomKilled: () => {
      try {
        const file = parent.version === 1 ? 'memory.oom_control' : 'memory.events';
        const text = readFileSync(path.join(memoryDir, file), 'utf8');
        return Number(/^oom_kill (\d+)/m.exec(text)?.[1] ?? 0) > 0;
      } catch {
        return false;
      }
    },
    async remove() {
      for (const dir of dirs) {
        for (let attempt = 0; attempt < 100 && !tryRmdir(dir); attempt++) await sleep(20);
      }
    },
  };
}

/** rmdir of a cgroup: true once it is gone (EBUSY while tasks remain). */
function tryRmdir(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
