import type { PermissionReport } from './types.js';

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
