/** @clawdesk/testing — load a plugin under its real driver and test it. Every export here is public API. */
// First, before any dependency loads: on a Node too old for clawdesk this throws UnsupportedNodeError.
import '@clawdesk/sandbox/require-node';
export { createTestHost } from './test-host.js';
export type { TestHost, TestHostOptions } from './test-host.js';

export { DriverNotInstalledError, TestingError, ToolErrorResult } from './errors.js';
export type { TestingErrorCode } from './errors.js';
