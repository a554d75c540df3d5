import type { LogLevel } from '@clawdesk/sandbox';

/** JSON-RPC error code the runner answers `initialize` with when the plugin cannot load. `data`: `LoadFailure`. */
export const OPENCLAW_LOAD_FAILED = -32050;

/** Why the plugin did not load, as `data` of the `OPENCLAW_LOAD_FAILED` answer. */
export interface LoadFailure {
  reason: 'bad-config' | 'entry-failed' | 'no-register' | 'register-threw' | 'missing-module' | 'invalid-registration';
  /** For `missing-module`: the `openclaw/*` specifier the shim does not provide. */
  module?: string;
}

/**
 * The runner's own messages, written before (and beside) plugin-sdk's `serve()`: log
 * notifications and the error answer to `initialize`. One line per message, like `serve()`.
 */
export interface Wire {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  fail(id: string | number, message: string, data: LoadFailure): void;
}

export function createWire(write: (line: string) => void): Wire {
  const send = (message: object) => write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  return {
    log: (level, message, fields) => send({ method: 'host/log', params: { level, message, ...(fields ? { fields } : {}) } }),
    fail: (id, message, data) => send({ id, error: { code: OPENCLAW_LOAD_FAILED, message, data } }),
  };
}
