import type { PluginManifest, PluginPermissions } from '@clawdesk/manifest';
import type { PermissionGrant } from './options.js';

const union = (a: readonly string[], b: readonly string[] | undefined) => [...new Set([...a, ...(b ?? [])])];

/** The manifest's permissions with the operator's grant added: lists are unioned, the grant's `memoryMb` wins. */
export function grantedPermissions(manifest: PluginManifest, grant: PermissionGrant | undefined): PluginPermissions {
  const p = manifest.permissions;
  return {
    network: { allowedHosts: union(p.network.allowedHosts, grant?.network?.allowedHosts) },
    fs: { read: union(p.fs.read, grant?.fs?.read), write: union(p.fs.write, grant?.fs?.write) },
    env: union(p.env, grant?.env),
    memoryMb: grant?.memoryMb ?? p.memoryMb,
  };
}
