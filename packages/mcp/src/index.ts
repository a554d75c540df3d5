/** @clawdesk/mcp — every export here is public API. */
// First, before any dependency loads: on a Node too old for clawdesk this throws UnsupportedNodeError.
import '@clawdesk/sandbox/require-node';
export { serveMcp } from './serve.js';
export type { McpServing, ServeMcpOptions } from './serve.js';

export { DEFAULT_HTTP_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_MCP_PATH } from './http.js';
export type { HttpServeOptions } from './http.js';

export { MAX_TOOL_NAME_LENGTH, mcpToolName, NAME_SEPARATOR } from './names.js';

export { ERROR_META_KEY } from './tools.js';
export type { ServerInfo } from './server.js';

export { InsecureListenerError, InvalidServeOptionsError, ListenFailedError, McpServeError } from './errors.js';
export type { McpServeErrorCode, McpServeErrorOptions } from './errors.js';

export { createRemoteDriver, REMOTE_PACKAGE_NAME } from './remote/driver.js';
export { DEFAULT_REMOTE_START_TIMEOUT_MS } from './remote/options.js';
export type { RemoteDriverOptions } from './remote/options.js';
export { RemoteUnreachableError } from './remote/errors.js';
