import { randomInt } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PermissionReport, SandboxErrorOptions } from '@clawdesk/sandbox';
import type { IsolationProbe } from './detect.js';
import { buildDarwinLaunch, buildDarwinProfile } from './darwin.js';
import { proxyEnv } from './forwarder.js';
import type { IsolationRequest, PluginIsolation, PreparedSpawn } from './index.js';
import { createEgressProxy } from './proxy.js';

type DarwinProbe = Extract<IsolationProbe, { platform: 'darwin'; available: true }>;

const FILES = 'sandbox-exec profile: plugin dir, runtime and dependencies read-only, fs.write, the data dir and a private TMPDIR writable, nothing else of any user';
/** Without a pid namespace the process group is what is killed; a descendant that leaves it survives. */
const DESCENDANTS =
  'descendants are killed with the process group on unload; one that calls setsid or double-forks out of it outlives the plugin (still inside the sandbox-exec profile, which it cannot drop)';

/** Per permission, what the macOS profile enforces, as far as the self-probe confirmed it. */
export function darwinReport(probe: DarwinProbe, hosts: string[], runtimeReport: PermissionReport): PermissionReport {
  const network = probe.network
    ? { level: 'enforced' as const, reason: hosts.length === 0 ? 'sandbox-exec profile: no network at all' : 'sandbox-exec profile: only the egress proxy on loopback, which admits only permissions.network.allowedHosts' }
    : { level: 'not-enforced' as const, reason: `no OS network sandbox: ${probe.networkReason ?? 'unconfirmed'}` };
  const memoryLevel = runtimeReport.memory === 'enforced' ? 'partial' : runtimeReport.memory;
  return {
    network: network.level,
    fsRead: 'enforced',
    fsWrite: 'enforced',
    env: 'partial',
    memory: memoryLevel,
    timeout: runtimeReport.timeout,
    reasons: {
      network: network.reason,
      fsRead: FILES,
      fsWrite: FILES,
      env: 'scrubbed environment, but macOS has no pid namespace: the processes of the same user stay visible (ps, sysctl)',
      memory: `no cgroups on macOS: ${runtimeReport.reasons?.memory ?? 'only the runtime’s own limit'}; ${DESCENDANTS}`,
      ...(runtimeReport.reasons?.timeout ? { timeout: runtimeReport.reasons.timeout } : {}),
    },
  };
}

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/**
 * macOS: each start runs `sandbox-exec -p <profile>` around the runtime, with a private TMPDIR and,
 * with a granted host, the egress proxy on 127.0.0.1:<random port> — the profile's one allowed
 * connection. The port is bound within a tick of the spawn, long before the runtime runs a line; if
 * it is taken (another program owns it, so the profile would admit that program) the process is killed.
 */
export function darwinIsolation(request: IsolationRequest, probe: DarwinProbe, where: SandboxErrorOptions): PluginIsolation {
  const { manifest, launch } = request;
  const hosts = manifest.permissions.network.allowedHosts;
  const runtimeDir = path.dirname(real(launch.file));
  // Built once to refuse unusable paths at instantiate, not on a restart.
  buildDarwinProfile({ readOnly: [...request.readOnly, runtimeDir], readWrite: request.readWrite }, where);
  return {
    prepare(): PreparedSpawn {
      const tmp = mkdtempSync(path.join(tmpdir(), 'clawdesk-tmp-'));
      let pid: number | undefined;
      let failure: Error | undefined;
      const kill = () => {
        if (pid === undefined) return;
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      let proxy: ReturnType<typeof createEgressProxy> | undefined;
      let port: number | undefined;
      if (hosts.length > 0) {
        port = randomInt(49_152, 65_536);
        proxy = createEgressProxy({ allowedHosts: hosts, logger: request.logger, plugin: manifest.name });
        const server = net.createServer();
        server.once('error', (error) => {
          failure = error;
          request.logger.error('egress proxy could not listen: the plugin is stopped', { plugin: manifest.name, port, error: error.message });
          kill();
        });
        server.listen({ port, host: '127.0.0.1', exclusive: true });
        proxy.serve(server);
      }
      const profile = buildDarwinProfile({ readOnly: [...request.readOnly, runtimeDir], readWrite: [...request.readWrite, tmp], ...(port ? { proxyPort: port } : {}) }, where);
      const env = { ...launch.env, TMPDIR: tmp, ...(port ? proxyEnv(port) : {}) };
      return {
        launch: buildDarwinLaunch({ ...launch, env }, profile, probe.sandboxExec),
        started(startedPid) {
          pid = startedPid;
          if (failure) kill();
        },
        oomKilled: () => false,
        async cleanup() {
          await proxy?.close();
          rmSync(tmp, { recursive: true, force: true });
        },
      };
    },
  };
}
