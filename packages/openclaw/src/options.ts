import type { ProcessDriverOptions } from '@clawdesk/sandbox-process';

/** Permissions a host operator grants one OpenClaw plugin (OpenClaw manifests declare none). Merged over the manifest's. */
export interface PermissionGrant {
  network?: { allowedHosts?: string[] };
  /** Relative to the plugin dir, or absolute. */
  fs?: { read?: string[]; write?: string[] };
  env?: string[];
  memoryMb?: number;
}

export interface OpenClawDriverOptions {
  /** Per plugin id (`openclaw.plugin.json` `id`): what the operator grants it. */
  permissions?: Record<string, PermissionGrant>;
  /** Options of the underlying process driver: `startTimeoutMs`, `killGraceMs`, `runtimes.node`… */
  process?: ProcessDriverOptions;
}

export interface DriverConfig {
  permissions: Record<string, PermissionGrant>;
  process: ProcessDriverOptions;
}

const describeValue = (value: unknown) => `${JSON.stringify(value) ?? String(value)} (${value === null ? 'null' : typeof value})`;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkStrings(option: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new TypeError(`createOpenClawDriver: option "${option}" must be an array of non-empty strings, got ${describeValue(value)}`);
  }
}

/** Rejects bad options before any plugin is loaded, naming the option, what was expected and what arrived. */
export function resolveOptions(options: OpenClawDriverOptions = {}): DriverConfig {
  const permissions = options.permissions ?? {};
  if (!isRecord(permissions)) {
    throw new TypeError(`createOpenClawDriver: option "permissions" must be an object keyed by plugin id, got ${describeValue(permissions)}`);
  }
  for (const [id, grant] of Object.entries(permissions)) {
    const at = `permissions.${id}`;
    if (!isRecord(grant)) throw new TypeError(`createOpenClawDriver: option "${at}" must be an object, got ${describeValue(grant)}`);
    const g = grant as PermissionGrant;
    checkStrings(`${at}.network.allowedHosts`, g.network?.allowedHosts);
    checkStrings(`${at}.fs.read`, g.fs?.read);
    checkStrings(`${at}.fs.write`, g.fs?.write);
    checkStrings(`${at}.env`, g.env);
    const mb = g.memoryMb;
    if (mb !== undefined && (typeof mb !== 'number' || !Number.isInteger(mb) || mb < 16)) {
      throw new TypeError(`createOpenClawDriver: option "${at}.memoryMb" must be an integer >= 16, got ${describeValue(mb)}`);
    }
  }
  return { permissions: { ...permissions }, process: { ...options.process } };
}
