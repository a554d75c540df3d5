import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { which } from '../runtime/binary.js';
import { findCgroupParent, type CgroupParent } from './cgroup.js';
import { decideDarwin, probeDarwin, type DarwinProbeResults } from './darwin.js';
import { buildLinuxLaunch, writeSandboxFiles, type LinuxTools } from './linux.js';
import { createStartDir } from './start-dirs.js';

/** What this machine offers the OS sandbox, probed once per driver. */
export type IsolationProbe =
  | {
      available: true;
      platform: 'linux';
      tools: LinuxTools;
      userNamespace: boolean;
      /** Where plugin cgroups go; absent with `memoryReason` when memory cannot be capped here. */
      cgroup?: CgroupParent;
      memoryReason?: string;
    }
  | {
      available: true;
      platform: 'darwin';
      sandboxExec: string;
      /** The self-probe saw the profile deny a loopback connection; without it the network is not claimed. */
      network: boolean;
      networkReason?: string;
    }
  | {
      available: false;
      platform: NodeJS.Platform;
      /** What is missing, for warnings, reports and `IsolationUnavailableError`. */
      reason: string;
      /** What to install or enable. */
      install: string;
    };

const UTIL_LINUX = 'install util-linux (unshare, setpriv, mount: `apt-get install util-linux`, present on almost every Linux)';

/**
 * Probes by running the real chain (namespaces, mounts, capability drop) around `true`; on macOS, by
 * the `sandbox-exec` self-probe (`darwin`, injectable so the decision is testable anywhere).
 */
export function probeIsolation(
  platform: NodeJS.Platform = process.platform,
  searchPath = `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/bin:/bin`,
  darwin: () => DarwinProbeResults = probeDarwin,
): IsolationProbe {
  if (platform === 'darwin') {
    const decision = decideDarwin(darwin());
    return decision.available ? { ...decision, platform } : { ...decision, platform };
  }
  if (platform !== 'linux') {
    return { available: false, platform, reason: `${platform}: no OS sandbox for process plugins`, install: 'run on Linux for OS isolation, or pass isolation: "off"' };
  }
  const unshare = which('unshare', searchPath);
  const setpriv = which('setpriv', searchPath);
  const mount = which('mount', searchPath);
  const truePath = which('true', searchPath);
  const missing = [!unshare && 'unshare', !setpriv && 'setpriv', !mount && 'mount'].filter(Boolean);
  if (!unshare || !setpriv || !mount || !truePath) {
    return { available: false, platform, reason: `${missing.join(', ') || 'true'} not found on PATH`, install: UTIL_LINUX };
  }
  const ip = which('ip', searchPath);
  const tools: LinuxTools = { unshare, setpriv, mount, ...(ip ? { ip } : {}) };
  const userNamespace = typeof process.getuid === 'function' && process.getuid() !== 0;
  const startDir = createStartDir('mounts');
  let result: SpawnSyncReturns<string>;
  try {
    const sandbox = buildLinuxLaunch(
      {
        launch: { file: truePath, args: [], cwd: '/', env: { PATH: '/usr/bin:/bin' } },
        plan: { readOnly: [], readWrite: [] },
        tools,
        cgroupProcs: [],
        userNamespace,
        tmpMb: 1,
        startDir: startDir.dir,
      },
      {},
    );
    writeSandboxFiles(sandbox);
    const { launch } = sandbox;
    result = spawnSync(launch.file, launch.args, { env: launch.env, cwd: launch.cwd, encoding: 'utf8', timeout: 10_000 });
  } finally {
    startDir.remove();
  }
  if (result.status !== 0) {
    const why = (result.stderr || result.error?.message || `exit ${result.status ?? result.signal}`).trim().split('\n').slice(-2).join('; ');
    return {
      available: false,
      platform,
      reason: `namespaces are not usable here (${why})`,
      install: userNamespace
        ? 'enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces > 0) or run the host as root'
        : 'allow mount, pid and network namespaces (in a container: --privileged or CAP_SYS_ADMIN)',
    };
  }
  const found = findCgroupParent();
  return 'parent' in found
    ? { available: true, platform, tools, userNamespace, cgroup: found.parent }
    : { available: true, platform, tools, userNamespace, memoryReason: found.reason };
}
