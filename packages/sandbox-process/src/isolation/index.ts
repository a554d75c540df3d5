import { readlinkSync } from 'node:fs';
import type { PluginManifest } from '@clawdesk/manifest';
import { IsolationUnavailableError, type Logger, type PermissionReport, type SandboxErrorOptions } from '@clawdesk/sandbox';
import type { Launch } from '../runtime/launch.js';
import { createPluginCgroup, type PluginCgroup } from './cgroup.js';
import { probeIsolation, type IsolationProbe } from './detect.js';
import { buildLinuxLaunch } from './linux.js';

/** `require`: refuse to start without the OS sandbox; `prefer`: use it when present, warn once when not; `off`: never. */
export type IsolationMode = 'require' | 'prefer' | 'off';
export const ISOLATION_MODES: readonly IsolationMode[] = ['require', 'prefer', 'off'];

/** Port of the egress proxy inside every plugin's network namespace (its own loopback, so no clash). */
export const EGRESS_PORT = 3128;

/** The host side of a plugin's only way out: a proxy listening on 127.0.0.1:`EGRESS_PORT` inside its network namespace. */
export interface EgressProvider {
  /** Binds the listener in the network namespace of process `pid`; resolves once it accepts connections. */
  open(pid: number, allowedHosts: string[], logger: Logger, plugin: string): Promise<{ close(): Promise<void> | void }>;
}

/** What one plugin needs to be sandboxed; the same for every restart of its process. */
export interface IsolationRequest {
  manifest: PluginManifest;
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
  /** The sandbox says "ready" on fd 3 and waits for "go" there, sent once `open` has resolved. */
  gate: boolean;
  /** Binds the egress listener in process `pid`'s network namespace, as soon as it has its own (in parallel with the mounts). */
  open(pid: number): Promise<void>;
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

const proxyEnv = (port: number): Record<string, string> => {
  const url = `http://127.0.0.1:${port}`;
  return { HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url, NODE_USE_ENV_PROXY: '1', NO_PROXY: '', no_proxy: '' };
};

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
    const { manifest, launch } = request;
    const hosts = manifest.permissions.network.allowedHosts;
    const egress = hosts.length > 0 ? this.#egress : undefined;
    const env = egress ? { ...launch.env, ...proxyEnv(EGRESS_PORT) } : launch.env;
    const memoryMb = manifest.permissions.memoryMb;
    const plan = { readOnly: request.readOnly, readWrite: request.readWrite };
    // Built once to refuse unusable paths at instantiate, not on a restart.
    buildLinuxLaunch({ launch, plan, tools: probe.tools, cgroupProcs: [], gate: false, userNamespace: probe.userNamespace, tmpMb: 1 }, where);
    return {
      prepare(): PreparedSpawn {
        const cgroup: PluginCgroup | undefined = probe.cgroup ? createPluginCgroup(probe.cgroup, manifest.name, memoryMb) : undefined;
        let proxy: { close(): Promise<void> | void } | undefined;
        let opening: Promise<void> | undefined;
        const sandboxed = buildLinuxLaunch(
          {
            launch: { ...launch, env },
            plan,
            tools: probe.tools,
            cgroupProcs: cgroup?.procsFiles ?? [],
            gate: egress !== undefined,
            userNamespace: probe.userNamespace,
            tmpMb: Math.max(16, Math.min(memoryMb, 256)),
          },
          where,
        );
        return {
          launch: sandboxed,
          gate: egress !== undefined,
          open(pid) {
            opening ??= ownNetworkNamespace(pid).then(async () => {
              proxy = await egress!.open(pid, hosts, request.logger, manifest.name);
            });
            return opening;
          },
          oomKilled: () => cgroup?.oomKilled() ?? false,
          async cleanup() {
            // A listener still being bound is closed once it arrives.
            await opening?.catch(() => undefined);
            await proxy?.close();
            await cgroup?.remove();
          },
        };
      },
    };
  }
}

/**
 * Resolves once process `pid` (the sandbox's `unshare`) is in a network namespace of its own: a
 * listener bound before that would be bound in the host's.
 */
async function ownNetworkNamespace(pid: number, timeoutMs = 5_000): Promise<void> {
  const ours = readlinkSync('/proc/self/ns/net');
  const until = performance.now() + timeoutMs;
  for (;;) {
    let theirs: string;
    try {
      theirs = readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      throw new Error(`process ${pid} ended before its network namespace existed`);
    }
    if (theirs !== ours) return;
    if (performance.now() > until) throw new Error(`process ${pid} had no network namespace of its own after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

export { probeIsolation, type IsolationProbe } from './detect.js';
