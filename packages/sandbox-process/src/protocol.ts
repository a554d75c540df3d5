import type { LogLevel } from '@clawdesk/sandbox';

/**
 * The process protocol: MCP over stdio (newline-delimited JSON-RPC 2.0) plus clawdesk's additions.
 * plugin-sdk's `serve()` speaks the plugin side of it; any MCP stdio server speaks the MCP part.
 */
export const MCP_PROTOCOL_VERSION = '2025-06-18';

/** Version of the clawdesk additions, sent as `capabilities.experimental.clawdesk.protocol`. */
export const CLAWDESK_PROTOCOL = 1;

/** Host → plugin. */
export const PLUGIN_METHODS = {
  initialize: 'initialize',
  initialized: 'notifications/initialized',
  toolsList: 'tools/list',
  toolsCall: 'tools/call',
  cancelled: 'notifications/cancelled',
  /** `{ hook, payload }` → the hook's answer (any JSON value). */
  hook: 'clawdesk/hook',
} as const;

/** Plugin → host. */
export const HOST_METHODS = {
  /** Request `{ url }` → `DownloadResult`. */
  browserDownload: 'host/browserDownload',
  /** Notification `{ level, message, fields? }`. */
  log: 'host/log',
} as const;

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** MCP `notifications/message` levels (syslog names) onto the host logger's four. */
export function mcpLogLevel(level: unknown): LogLevel {
  switch (level) {
    case 'debug':
      return 'debug';
    case 'info':
    case 'notice':
      return 'info';
    case 'warning':
      return 'warn';
    default:
      return level === 'error' || level === 'critical' || level === 'alert' || level === 'emergency' ? 'error' : 'info';
  }
}
