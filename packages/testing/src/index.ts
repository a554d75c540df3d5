/** @clawdesk/testing — load a plugin under its real driver and test it. Every export here is public API. */
export { createTestHost } from './test-host.js';
export type { TestHost, TestHostOptions } from './test-host.js';

export { DriverNotInstalledError, TestingError, ToolErrorResult } from './errors.js';
export type { TestingErrorCode } from './errors.js';
