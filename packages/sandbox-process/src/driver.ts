import type { PluginManifest } from '@clawdesk/manifest';
import {
  Deadlines,
  type InstantiateOptions,
  LoadFailedError,
  NOTHING_ENFORCED,
  type PermissionReport,
  RuntimeMissingError,
  type SandboxContext,
  type SandboxDriver,
} from '@clawdesk/sandbox';
import { ProcessInstance } from './instance.js';
import { unixSocketEgress } from './isolation/egress.js';
import { OsIsolation } from './isolation/index.js';
import { isolationRequest } from './isolation/request.js';
import { PROCESS_RUNTIMES, resolveOptions, type ProcessDriverOptions, type ProcessRuntime } from './options.js';
import { ADAPTERS } from './runtime/adapters.js';
import { INSTALL_HINTS, resolveRuntimeBinary } from './runtime/binary.js';
import { fsEscapes, grantsFor } from './runtime/grants.js';
import { buildLaunch } from './runtime/launch.js';
import { withOperatorGrants } from './operator/grants.js';
import { linkEscapes } from './runtime/links.js';

export const PACKAGE_NAME = '@clawdesk/sandbox-process';


const isProcessRuntime = (runtime: string): runtime is ProcessRuntime => PROCESS_RUNTIMES.includes(runtime as ProcessRuntime);

/** The driver's own view of a plugin: its instance type exposes `pid` for diagnostics. */
export interface ProcessDriver extends SandboxDriver {
  instantiate(manifest: PluginManifest, ctx: SandboxContext, opts?: InstantiateOptions): Promise<ProcessInstance>;
}

/**
 * Runs `sandbox: "process"` plugins (runtime node, bun or deno) as child processes speaking
 * MCP-compatible JSON-RPC over stdio. Options are validated here, before any plugin is loaded.
 */
export function createProcessDriver(options: ProcessDriverOptions = {}): ProcessDriver {
  const config = resolveOptions(options);
  const isolation = new OsIsolation({ mode: config.isolation, egress: config.egress ?? unixSocketEgress() });
  const deadlines = new Deadlines();

  // What the process runs under: the manifest's permissions plus the operator's grants and env values.
  const granted = (manifest: PluginManifest) => withOperatorGrants(manifest, config.permissions[manifest.name], config.env[manifest.name]);

  const enforcement = (given: PluginManifest): PermissionReport => {
    const runtime = given.runtime;
    if (!isProcessRuntime(runtime)) return NOTHING_ENFORCED;
    const manifest = granted(given);
    // The report depends on the manifest's grants only, not on where the data dir is.
    const grants = grantsFor(manifest, manifest.dir);
    const report = ADAPTERS[runtime].enforcement(grants);
    const os = isolation.report(manifest, report);
    if (os) return os;
    // No OS layer: the runtime's model alone, each gap saying why the OS layer is missing too.
    const why = isolation.unavailableReason();
    const reasons = Object.fromEntries(Object.entries(ADAPTERS[runtime].gaps(grants)).map(([k, v]) => [k, `${why}; ${v}`]));
    return { ...report, reasons };
  };

  return {
    kind: 'process',
    packageName: PACKAGE_NAME,
    // OpenClaw plugins are not stdio servers: they need @clawdesk/openclaw's runner.
    supports: (manifest) => manifest.sandbox === 'process' && isProcessRuntime(manifest.runtime) && manifest.format !== 'openclaw',
    enforcement,
    async instantiate(given, ctx, opts = {}) {
      const manifest = granted(given);
      const where = { plugin: manifest.name, driver: 'process' };
      if (manifest.sandbox !== 'process' || !isProcessRuntime(manifest.runtime)) {
        throw new LoadFailedError(
          `${PACKAGE_NAME} runs sandbox "process" with runtime node, bun or deno; this plugin has sandbox "${manifest.sandbox}", runtime "${manifest.runtime}"`,
          where,
        );
      }
      const runtime = manifest.runtime;
      const binary = resolveRuntimeBinary(runtime, config.runtimes[runtime]);
      if (!binary) {
        throw new RuntimeMissingError(runtime, INSTALL_HINTS[runtime], { ...where, data: { configured: config.runtimes[runtime] ?? null } });
      }
      const escapes = fsEscapes(manifest);
      if (escapes.length) {
        const list = escapes.map((e) => `${e.field} "${e.path}" resolves to ${e.realPath}`).join('; ');
        throw new LoadFailedError(`a permissions.fs dir leaves the plugin directory: ${list}`, { ...where, data: { escapes } });
      }
      const refusals = ADAPTERS[runtime].refusals(manifest, grantsFor(manifest, ctx.dataDir));
      if (refusals.length) throw new LoadFailedError(`${runtime} cannot grant this safely: ${refusals.join('; ')}`, { ...where, data: { refusals } });
      const links = linkEscapes(manifest, runtime, ctx.dataDir, config.allowAncestorNodeModules);
      if (links.length) {
        const list = links.map((e) => `${e.link} -> ${e.target}`).join('; ');
        throw new LoadFailedError(`a symlink in the plugin directory leads outside what the plugin may read or write: ${list}`, { ...where, data: { links } });
      }
      const launch = buildLaunch(manifest, runtime, binary, ctx.dataDir, {
        allowAncestorNodeModules: config.allowAncestorNodeModules,
        envValues: config.env[manifest.name],
        jitless: config.jitless,
      });
      const sandbox = isolation.forPlugin(isolationRequest(manifest, ctx, launch, config.allowAncestorNodeModules), where);
      if (!sandbox) warnGaps(manifest, ctx);
      // The host's start limit (or the manifest's) governs the handshake; the driver option is the fallback.
      const startTimeoutMs = opts.startTimeoutMs ?? manifest.startTimeoutMs ?? config.startTimeoutMs;
      return ProcessInstance.start(
        { manifest, ctx, launch, runtime, config: { ...config, startTimeoutMs }, deadlines, ...(sandbox ? { isolation: sandbox } : {}) },
        opts.signal,
      );
    },
  };

  /** Never claim what the runtime cannot do: one warning per load naming every gap. */
  function warnGaps(manifest: PluginManifest, ctx: SandboxContext): void {
    const runtime = manifest.runtime as ProcessRuntime;
    const grants = grantsFor(manifest, ctx.dataDir);
    const report = ADAPTERS[runtime].enforcement(grants);
    const gaps = ADAPTERS[runtime].gaps(grants);
    const notEnforced = Object.entries(report).filter(([, v]) => v === 'not-enforced').map(([k]) => k);
    const partial = Object.entries(report).filter(([, v]) => v === 'partial').map(([k]) => k);
    if (notEnforced.length === 0 && partial.length === 0) return;
    ctx.logger.warn(`the ${runtime} process sandbox does not fully enforce this plugin's permissions`, {
      runtime,
      notEnforced,
      partial,
      why: Object.fromEntries([...notEnforced, ...partial].map((k) => [k, gaps[k as keyof PermissionReport] ?? ''])),
    });
  }
}
