import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { PluginManifest } from '@clawdesk/manifest';
import { isInside, IsolationUnavailableError, LoadFailedError, type Logger, type PermissionReport, type SandboxErrorOptions } from '@clawdesk/sandbox';
import type { ProcessRuntime } from '../options.js';
import type { Launch } from '../runtime/launch.js';
import { createPluginCgroup, type PluginCgroup } from './cgroup.js';
import { darwinIsolation, darwinReport } from './darwin-plugin.js';
import { probeIsolation, type IsolationProbe } from './detect.js';
import { createEgressDoor, lazyNodeProxy, splitProxyEnv, withForwarder, type EgressDoor } from './forwarder.js';
import { buildLinuxLaunch, writeSandboxFiles } from './linux.js';
import { createStartDir, removeOrphanedStartDirs, type StartDir } from './start-dirs.js';

/** `require`: refuse to start without the OS sandbox; `prefer`: use it when present, warn once when not; `off`: never. */
export type IsolationMode = 'require' | 'prefer' | 'off';
export const ISOLATION_MODES: readonly IsolationMode[] = ['require', 'prefer', 'off'];

/** Port of the egress proxy inside every plugin's network namespace (its own loopback, so no clash). */
export const EGRESS_PORT = 3128;

/**
 * The host side of a plugin's only way out: a proxy admitting `allowedHosts`, listening on the unix
 * socket that the plugin's forwarder (127.0.0.1:`EGRESS_PORT` inside its network namespace) relays to.
 */
export interface EgressProvider {
  /** Listens on `socket` before returning (the plugin starts right after); throws when it cannot. */
  serve(socket: string, allowedHosts: string[], logger: Logger, plugin: string): { close(): Promise<void> | void };
}

/** What one plugin needs to be sandboxed; the same for every restart of its process. */
export interface IsolationRequest {
  manifest: PluginManifest;
  /** Which runtime `launch` starts (the egress forwarder is preloaded with its flags). */
  runtime: ProcessRuntime;
  launch: Launch;
  /** Read-only paths: plugin dir, fs.read, dependencies. */
  readOnly: string[];
  /** fs.write and the data dir. */
  readWrite: string[];
  logger: Logger;
}

/** One spawn of a sandboxed process: the command to run and what to do around it. */
export interface PreparedSpawn {
  launch: Launch;
  /** Told the process's pid once it is spawned (macOS: a proxy port found taken after the spawn kills it). */
  started?(pid: number): void;
  /** Read when the process has exited: the memory cgroup OOM-killed it. */
  oomKilled(): boolean;
  cleanup(): Promise<void>;
}

/** Per plugin: makes a fresh sandbox (cgroup, command) for each process start. */
export interface PluginIsolation {
  prepare(): PreparedSpawn;
}

export interface OsIsolationOptions {
  mode: IsolationMode;
  egress: EgressProvider;
  /** Replaces the probe (tests, or hosts that already know). */
  probe?: () => IsolationProbe;
}

/**
 * The driver's OS sandbox: probes the machine once (lazily, on the first plugin), reports what it
 * enforces, and wraps launches. Holds no global state; one per driver.
 */
export class OsIsolation {
  readonly mode: IsolationMode;
  readonly #egress: EgressProvider;
  readonly #probeFn: () => IsolationProbe;
  #probe: IsolationProbe | undefined;
  #warned = false;
  /** Start dirs (doors, mount tables) left by a killed host are swept at this driver's first start. */
  #swept = false;

  constructor(options: OsIsolationOptions) {
    this.mode = options.mode;
    this.#egress = options.egress;
    this.#probeFn = options.probe ?? (() => probeIsolation());
  }

  /** The probe result, `undefined` when isolation is off. */
  probe(): IsolationProbe | undefined {
    if (this.mode === 'off') return undefined;
    this.#probe ??= this.#probeFn();
    return this.#probe;
  }

  /** Removes the start dirs a killed host left behind, once per driver. */
  #sweepOrphans(): void {
    if (this.#swept) return;
    this.#swept = true;
    removeOrphanedStartDirs();
  }

  /** Whether plugins run inside the OS sandbox on this machine. */
  active(): boolean {
    return this.probe()?.available === true;
  }

  /** Why there is no OS sandbox, for report reasons. */
  unavailableReason(): string {
    const probe = this.probe();
    if (!probe) return 'no OS isolation: turned off (isolation: "off")';
    return probe.available ? '' : `no OS isolation: ${probe.reason}`;
  }

  /**
   * Per permission, what the OS layer enforces on this machine (`undefined` without it). The
   * runtime's own model stays on as a second layer; where the OS layer is missing, it is all there is.
   */
  report(manifest: PluginManifest, runtimeReport: PermissionReport): PermissionReport | undefined {
    const probe = this.probe();
    if (!probe?.available) return undefined;
    const hosts = manifest.permissions.network.allowedHosts;
    if (probe.platform === 'darwin') return darwinReport(probe, hosts, runtimeReport);
    const network =
      hosts.length === 0
        ? 'network namespace with loopback only: no network at all'
        : 'network namespace + egress proxy admitting only permissions.network.allowedHosts';
    const files = 'mount namespace: plugin dir, runtime and dependencies read-only, fs.write and the data dir writable, private /tmp';
    const memory = probe.cgroup
      ? { level: 'enforced' as const, reason: `memory cgroup v${probe.cgroup.version} caps the whole process tree` }
      : { level: runtimeReport.memory, reason: `no memory cgroup: ${probe.memoryReason ?? 'unavailable'}` };
    return {
      network: 'enforced',
      fsRead: 'enforced',
      fsWrite: 'enforced',
      env: 'enforced',
      memory: memory.level,
      timeout: runtimeReport.timeout,
      reasons: {
        network,
        fsRead: files,
        fsWrite: files,
        env: 'scrubbed environment; pid namespace hides other processes and their /proc',
        memory: memory.reason,
        ...(runtimeReport.reasons?.timeout ? { timeout: runtimeReport.reasons.timeout } : {}),
      },
    };
  }

  /**
   * The sandbox for one plugin, or `undefined` to run it without (after the one warning of
   * `prefer`). `require` without a sandbox throws `IsolationUnavailableError`.
   */
  forPlugin(request: IsolationRequest, where: SandboxErrorOptions): PluginIsolation | undefined {
    const probe = this.probe();
    if (!probe) return undefined;
    if (!probe.available) {
      if (this.mode === 'require') throw new IsolationUnavailableError(probe.reason, probe.install, where);
      if (!this.#warned) {
        this.#warned = true;
        request.logger.warn('process plugins run without OS isolation: only the runtime permission model applies', {
          reason: probe.reason,
          install: probe.install,
        });
      }
      return undefined;
    }
    if (probe.platform === 'darwin') return darwinIsolation(request, probe, where);
    const { manifest, launch, runtime } = request;
    const hosts = manifest.permissions.network.allowedHosts;
    const egress = hosts.length > 0 ? this.#egress : undefined;
    const proxy = splitProxyEnv(EGRESS_PORT, lazyNodeProxy(runtime, launch.file));
    const env = egress ? { ...launch.env, ...proxy.launch } : launch.env;
    const memoryMb = manifest.permissions.memoryMb;
    const plan = { readOnly: request.readOnly, readWrite: request.readWrite };
    refuseWritableStartDirs(plan.readWrite, where);
    // Built once to refuse unusable paths at instantiate, not on a restart.
    buildLinuxLaunch({ launch, plan, tools: probe.tools, cgroupProcs: [], userNamespace: probe.userNamespace, tmpMb: 1, startDir: '/' }, where);
    const sweepOrphans = () => this.#sweepOrphans();
    const grantsMoved = movedGrants([...plan.readOnly, ...plan.readWrite]);
    return {
      prepare(): PreparedSpawn {
        const cgroup: PluginCgroup | undefined = probe.cgroup ? createPluginCgroup(probe.cgroup, manifest.name, memoryMb) : undefined;
        let door: EgressDoor | undefined;
        let served: { close(): Promise<void> | void } | undefined;
        let startDir: StartDir | undefined;
        const cleanup = async () => {
          await served?.close();
          door?.remove();
          startDir?.remove();
          await cgroup?.remove();
        };
        try {
          const moved = grantsMoved();
          if (moved.length > 0) {
            const list = moved.map((m) => `${m.path} -> ${m.realPath}`).join('; ');
            throw new LoadFailedError(`a granted path leads elsewhere than when the plugin was loaded (a link was put above it): ${list}`, { ...where, data: { moved } });
          }
          sweepOrphans();
          startDir = createStartDir('mounts');
          // The proxy listens before the process starts, and the forwarder binds before the plugin's code
          // runs: a plugin's first connection never finds its door closed, and no start waits for a helper.
          if (egress) {
            door = createEgressDoor(EGRESS_PORT, runtime, proxy.preload, where);
            served = egress.serve(door.socket, hosts, request.logger, manifest.name);
          }
          const sandboxed = buildLinuxLaunch(
            {
              launch: { ...launch, env, args: door ? withForwarder(runtime, launch.args, door, EGRESS_PORT) : launch.args },
              plan: door ? { ...plan, readOnly: [...plan.readOnly, door.dir] } : plan,
              tools: probe.tools,
              cgroupProcs: cgroup?.procsFiles ?? [],
              userNamespace: probe.userNamespace,
              tmpMb: Math.max(16, Math.min(memoryMb, 256)),
              startDir: startDir.dir,
            },
            where,
          );
          writeSandboxFiles(sandboxed);
          return { launch: sandboxed.launch, oomKilled: () => cgroup?.oomKilled() ?? false, cleanup };
        } catch (error) {
          void cleanup().catch(() => undefined);
          throw error;
        }
      },
    };
  }
}

const realOrUndefined = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

/**
 * Each grant's real path as at load, and a check for those that lead elsewhere now. A plugin may
 * write its fs.write dirs, so it can move a dir above a nested grant aside and put a link there
 * (`w/a -> /` above `w/a/etc`); the load's link checks ran before, and the next start (a restart
 * after a timed-out call) would bind wherever the link leads. A grant may newly exist, not move.
 */
/**
 * A plugin that may write the host's tmp dir (or a dir holding it) could rename another plugin's
 * start dir while the host fills it, put a link there and have the host write that sandbox's mount
 * table or forwarder where it can rewrite them. Every plugin has a private /tmp, so such a grant is
 * refused: grant a dir inside the tmp dir instead.
 */
function refuseWritableStartDirs(readWrite: string[], where: SandboxErrorOptions): void {
  const base = realOrUndefined(tmpdir()) ?? tmpdir();
  const holding = readWrite.find((p) => isInside(realOrUndefined(p) ?? p, base));
  if (holding !== undefined) {
    throw new LoadFailedError(
      `permissions.fs.write grants ${holding}, which holds the host's tmp dir ${base}, where clawdesk keeps every plugin's sandbox files: the plugin could tamper with other plugins' sandboxes. It has a private /tmp of its own; grant a dir inside ${base} instead`,
      { ...where, data: { field: 'permissions.fs.write', path: holding } },
    );
  }
}

function movedGrants(paths: string[]): () => { path: string; realPath: string }[] {
  const atLoad = new Map(paths.map((p) => [p, realOrUndefined(p)]));
  return () =>
    [...atLoad].flatMap(([p, was]) => {
      const now = realOrUndefined(p);
      return now === undefined || now === was || now === p ? [] : [{ path: p, realPath: now }];
    });
}

export { probeIsolation, type IsolationProbe } from './detect.js';
