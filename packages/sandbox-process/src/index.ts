/** @clawdesk/sandbox-process: run clawdesk plugins as child processes. Every export here is public API. */
// First, before any dependency loads: on a Node too old for clawdesk this throws UnsupportedNodeError.
import '@clawdesk/sandbox/require-node';
export { createProcessDriver, PACKAGE_NAME } from './driver.js';
export type { ProcessDriver } from './driver.js';
export type { ProcessInstance } from './instance.js';

export {
  DEFAULT_CANCEL_GRACE_MS,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_LOG_LINES_PER_SECOND,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_START_TIMEOUT_MS,
} from './options.js';
export type { ProcessDriverOptions, ProcessRuntime } from './options.js';
export type { PermissionGrant } from './operator/grants.js';

export { CLAWDESK_PROTOCOL, HOST_METHODS, MCP_PROTOCOL_VERSION, PLUGIN_METHODS } from './protocol.js';

export {
  createEgressProxy,
  DEFAULT_PROXY_CONNECT_TIMEOUT_MS,
  DEFAULT_PROXY_IDLE_TIMEOUT_MS,
  DEFAULT_PROXY_MAX_CONNECTIONS,
  DEFAULT_PROXY_MAX_HEADER_BYTES,
} from './isolation/proxy.js';
export type { EgressProxy, EgressProxyOptions, EgressProxyStats } from './isolation/proxy.js';
export { DEFAULT_NETNS_LISTEN_TIMEOUT_MS, listenInNetns, NetnsListenError } from './isolation/netns-listener.js';
export type { ListenInNetnsOptions, NetnsListenFailure } from './isolation/netns-listener.js';
