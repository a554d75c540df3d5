/** @clawdesk/openclaw: run unmodified OpenClaw plugins in clawdesk's process sandbox. Every export here is public API. */
// First, before any dependency loads: on a Node too old for clawdesk this throws UnsupportedNodeError.
import '@clawdesk/sandbox/require-node';
export { createOpenClawDriver, PACKAGE_NAME } from './driver.js';
export type { OpenClawDriver } from './driver.js';
export type { OpenClawInstance } from './instance.js';

export type { OpenClawDriverOptions, PermissionGrant } from './options.js';

export { OPENCLAW_SHIM_MODULES } from './protocol.js';
export type { RunnerConfig, UnsupportedKind, UnsupportedRegistration } from './protocol.js';

export { OPENCLAW_LOAD_FAILED } from './child/wire.js';
export type { LoadFailure } from './child/wire.js';
