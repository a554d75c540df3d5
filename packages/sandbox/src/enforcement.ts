import type { Enforcement, PermissionName, PermissionReport } from './types.js';

export const PERMISSION_NAMES: readonly PermissionName[] = Object.freeze(['network', 'fsRead', 'fsWrite', 'env', 'memory', 'timeout']);

/** What a driver reports for a manifest it does not run, or cannot contain at all: claim nothing. */
export const NOTHING_ENFORCED: Readonly<PermissionReport> = Object.freeze({
  network: 'not-enforced',
  fsRead: 'not-enforced',
  fsWrite: 'not-enforced',
  env: 'not-enforced',
  memory: 'not-enforced',
  timeout: 'not-enforced',
});

/**
 * In-process code (the native and in-memory drivers): nothing is contained; a call's timeout is
 * only partial, since the caller gets its answer on time but the code cannot be stopped.
 */
export const IN_PROCESS_ENFORCEMENT: Readonly<PermissionReport> = Object.freeze({ ...NOTHING_ENFORCED, timeout: 'partial' });

export interface PermissionGap {
  permission: PermissionName;
  level: Exclude<Enforcement, 'enforced'>;
  reason?: string;
}

/** The permissions of a report that are not fully enforced, with the driver's reason for each. */
export function permissionGaps(report: PermissionReport): PermissionGap[] {
  return PERMISSION_NAMES.flatMap((permission) => {
    const level = report[permission];
    if (level === 'enforced') return [];
    const reason = report.reasons?.[permission];
    return [{ permission, level, ...(reason ? { reason } : {}) }];
  });
}
