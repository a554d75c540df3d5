/** The SandboxDriver contract shared by the host and every driver. Every export here is public API. */
// First: on a Node too old for clawdesk, fail here with UnsupportedNodeError (see require-node.ts).
// A call, not a side-effect import: the build drops those under `sideEffects`.
import { assertSupportedNode } from './node-version.js';

assertSupportedNode();

export type {
  CallOptions,
  DispatchOptions,
  DownloadResult,
  Enforcement,
  ExitInfo,
  InstantiateOptions,
  Logger,
  LogLevel,
  PermissionName,
  PermissionReport,
  PluginDescription,
  ProgressReport,
  SandboxContext,
  SandboxDriver,
  SandboxInstance,
  ToolContent,
  ToolResult,
} from './types.js';

export type { ModuleHook, ModuleTool, PluginCallContext, PluginModule } from './plugin-module.js';

export {
  CancelledError,
  CrashedError,
  DisposedError,
  InvalidArgumentsError,
  InvalidOutputError,
  isSandboxError,
  IsolationUnavailableError,
  LoadFailedError,
  MemoryLimitError,
  OutputTooLargeError,
  PermissionDeniedError,
  RuntimeMissingError,
  SandboxError,
  TimeoutError,
  ToolError,
  ToolNotFoundError,
} from './errors.js';
export type { ArgumentProblem, SandboxErrorCode, SandboxErrorOptions } from './errors.js';

export { errorResult, isToolResult, resultValue, toToolResult } from './result.js';

export { CALL_ABORT, callAborted, callAbortReason, offCallAbort, onCallAbort } from './call-abort.js';
export type { CallAbortHook } from './call-abort.js';
export { type Deadline, Deadlines, MAX_TIMER_MS } from './deadlines.js';
export { hostAllowed, isPrivateAddress, resolveAllowedHost } from './hosts.js';
export type { HostLookup, PinnedAddress } from './hosts.js';
export { fetchPinned } from './pinned-fetch.js';
export type { PinnedRequestInit } from './pinned-fetch.js';

export { isInside, symlinkEscapes } from './links.js';
export type { SymlinkEscape } from './links.js';

export { schemaProblems } from './schema-problems.js';
export type { SchemaValidationError } from './schema-problems.js';

export { IN_PROCESS_ENFORCEMENT, NOTHING_ENFORCED, PERMISSION_NAMES, permissionGaps } from './enforcement.js';
export type { PermissionGap } from './enforcement.js';

export { createInMemoryDriver, simulateCrash } from './in-memory.js';
export type { InMemoryDriverOptions, InMemoryModuleSource } from './in-memory.js';

export { assertSupportedNode, MIN_NODE_MAJOR, UnsupportedNodeError, unsupportedNode } from './node-version.js';
export type { RuntimeVersions } from './node-version.js';
