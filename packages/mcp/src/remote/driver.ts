import type { PluginManifest } from '@clawdesk/manifest';
import { LoadFailedError, PermissionDeniedError, resolveAllowedHost, type PermissionReport, type SandboxDriver } from '@clawdesk/sandbox';
import { RemoteInstance } from './instance.js';
import { resolveRemoteOptions, type RemoteDriverOptions } from './options.js';

export const REMOTE_PACKAGE_NAME = '@clawdesk/mcp';

/** A server on another machine: clawdesk sees its MCP traffic only, and can stop waiting but not stop it. */
const ELSEWHERE = 'the plugin runs on its own server; clawdesk only sees its MCP traffic';
const REPORT: PermissionReport = {
  network: 'not-enforced',
  fsRead: 'not-enforced',
  fsWrite: 'not-enforced',
  env: 'not-enforced',
  memory: 'not-enforced',
  timeout: 'partial',
  reasons: {
    network: `${ELSEWHERE}; the host connects only to the manifest's url, if its host is allowed`,
    fsRead: ELSEWHERE,
    fsWrite: ELSEWHERE,
    env: ELSEWHERE,
    memory: ELSEWHERE,
    timeout: 'a call past its limit is rejected and cancelled (notifications/cancelled); the server decides whether its work stops',
  },
};

/**
 * Runs `sandbox: "remote"` plugins: the manifest's `url` is an MCP server over Streamable HTTP,
 * reached with the official SDK client behind the host's usual policies (timeouts, call spacing,
 * argument checks, restart with backoff when the connection is lost). Headers (auth) and extra
 * allowed hosts come from these options, never from the manifest.
 */
export function createRemoteDriver(options: RemoteDriverOptions = {}): SandboxDriver {
  const config = resolveRemoteOptions(options);
  return {
    kind: 'remote',
    packageName: REMOTE_PACKAGE_NAME,
    supports: (m: PluginManifest) => m.sandbox === 'remote',
    enforcement: () => ({ ...REPORT, reasons: { ...REPORT.reasons } }),
    async instantiate(manifest, ctx, opts = {}) {
      const where = { plugin: manifest.name, driver: 'remote' };
      if (manifest.sandbox !== 'remote') throw new LoadFailedError(`${REMOTE_PACKAGE_NAME}'s remote driver runs sandbox "remote", this plugin has "${manifest.sandbox}"`, where);
      if (!manifest.url) throw new LoadFailedError('sandbox "remote" needs a "url": the MCP Streamable HTTP endpoint', where);
      const url = new URL(manifest.url);
      const port = url.port || (url.protocol === 'https:' ? '443' : '80');
      const allowed = [...manifest.permissions.network.allowedHosts, ...(config.allowedHosts[manifest.name] ?? [])];
      const decision = await resolveAllowedHost(url.hostname, port, allowed);
      if (!decision.pinned) {
        throw new PermissionDeniedError(`may not connect to ${url.href}: ${decision.reason}; list its host in permissions.network.allowedHosts or the driver's allowedHosts`, {
          ...where,
          data: { url: url.href, reason: decision.reason },
        });
      }
      return RemoteInstance.start({
        manifest,
        ctx,
        url,
        pinned: decision.pinned,
        headers: { ...(config.headers[manifest.name] ?? {}) },
        startTimeoutMs: opts.startTimeoutMs ?? manifest.startTimeoutMs ?? config.startTimeoutMs,
        signal: opts.signal,
      });
    },
  };
}
