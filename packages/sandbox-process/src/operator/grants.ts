import type { PluginManifest, PluginPermissions } from '@clawdesk/manifest';

/**
 * What a host operator grants one plugin on top of its manifest (`createProcessDriver({ permissions })`).
 * Unlike a manifest's, these paths may be absolute: the operator, not the plugin author, chose them.
 */
export interface PermissionGrant {
  network?: { allowedHosts?: string[] };
  /** Relative to the plugin dir, or absolute. */
  fs?: { read?: string[]; write?: string[] };
  /** Names passed through from the host's environment. */
  env?: string[];
  memoryMb?: number;
}

const union = (a: readonly string[], b: readonly string[] | undefined) => [...new Set([...a, ...(b ?? [])])];

/** The manifest's permissions with the operator's grant added: lists are unioned, the grant's `memoryMb` wins. */
export function grantedPermissions(p: PluginPermissions, grant: PermissionGrant | undefined): PluginPermissions {
  if (!grant) return p;
  return {
    network: { allowedHosts: union(p.network.allowedHosts, grant.network?.allowedHosts) },
    fs: { read: union(p.fs.read, grant.fs?.read), write: union(p.fs.write, grant.fs?.write) },
    env: union(p.env, grant.env),
    memoryMb: grant.memoryMb ?? p.memoryMb,
  };
}

/** The manifest as the driver runs it: operator grants merged in, operator env names allowed (deno's `--allow-env`). */
export function withOperatorGrants(manifest: PluginManifest, grant: PermissionGrant | undefined, envValues: Record<string, string> | undefined): PluginManifest {
  if (!grant && !envValues) return manifest;
  const permissions = grantedPermissions(manifest.permissions, grant);
  const env = envValues ? union(permissions.env, Object.keys(envValues)) : permissions.env;
  return { ...manifest, permissions: { ...permissions, env } };
}

const describeValue = (value: unknown) => `${JSON.stringify(value) ?? String(value)} (${value === null ? 'null' : typeof value})`;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkStrings(option: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new TypeError(`createProcessDriver: option "${option}" must be an array of non-empty strings, got ${describeValue(value)}`);
  }
}

/** Checks `permissions` (per plugin name) before any plugin loads, naming the option, what was expected and what arrived. */
export function checkPermissionGrants(permissions: unknown): Record<string, PermissionGrant> {
  if (permissions === undefined) return {};
  if (!isRecord(permissions)) {
    throw new TypeError(`createProcessDriver: option "permissions" must be an object keyed by plugin name, got ${describeValue(permissions)}`);
  }
  for (const [name, grant] of Object.entries(permissions)) {
    const at = `permissions.${name}`;
    if (!isRecord(grant)) throw new TypeError(`createProcessDriver: option "${at}" must be an object, got ${describeValue(grant)}`);
    const g = grant as PermissionGrant;
    checkStrings(`${at}.network.allowedHosts`, g.network?.allowedHosts);
    checkStrings(`${at}.fs.read`, g.fs?.read);
    checkStrings(`${at}.fs.write`, g.fs?.write);
    checkStrings(`${at}.env`, g.env);
    (g.env ?? []).forEach((n, i) => {
      if (!ENV_NAME.test(n)) throw new TypeError(`createProcessDriver: option "${at}.env[${i}]" must be an environment variable name, got ${describeValue(n)}`);
    });
    const mb = g.memoryMb;
    if (mb !== undefined && (typeof mb !== 'number' || !Number.isInteger(mb) || mb < 16)) {
      throw new TypeError(`createProcessDriver: option "${at}.memoryMb" must be an integer >= 16, got ${describeValue(mb)}`);
    }
  }
  return { ...(permissions as Record<string, PermissionGrant>) };
}

/** Checks `env` (per plugin name: variable → value). */
export function checkEnvValues(env: unknown): Record<string, Record<string, string>> {
  if (env === undefined) return {};
  if (!isRecord(env)) throw new TypeError(`createProcessDriver: option "env" must be an object keyed by plugin name, got ${describeValue(env)}`);
  for (const [name, values] of Object.entries(env)) {
    if (!isRecord(values)) throw new TypeError(`createProcessDriver: option "env.${name}" must be an object of variable → value, got ${describeValue(values)}`);
    for (const [key, value] of Object.entries(values)) {
      if (!ENV_NAME.test(key)) throw new TypeError(`createProcessDriver: option "env.${name}" has ${describeValue(key)}, which is not an environment variable name`);
      if (typeof value !== 'string') throw new TypeError(`createProcessDriver: option "env.${name}.${key}" must be a string, got ${describeValue(value)}`);
    }
  }
  return { ...(env as Record<string, Record<string, string>>) };
}
