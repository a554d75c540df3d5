import {
  CrashedError,
  DisposedError,
  InvalidArgumentsError,
  InvalidOutputError,
  isSandboxError,
  LoadFailedError,
  PermissionDeniedError,
  SandboxError,
  ToolError,
  type SandboxErrorOptions,
} from '@clawdesk/sandbox';
import { MalformedResponseError, RpcError, RpcErrorCode } from './jsonrpc/messages.js';
import type { SessionEnd } from './session.js';

/** Lines of stderr quoted in an error message (the full tail is in `data.stderr`). */
const QUOTED_STDERR_LINES = 5;

export const describeExit = (end: SessionEnd) =>
  end.exit.code !== null ? `exit code ${end.exit.code}` : `signal ${end.exit.signal ?? 'unknown'}`;

/** `data` for errors about a process that ended: `{ exitCode, signal, stderr }`. */
export const exitData = (end: SessionEnd) => ({ exitCode: end.exit.code, signal: end.exit.signal, stderr: end.stderr.join('\n') });

/** Stack frames and the runtime's version banner say little in a one-line error; the message lines before them do. */
const UNINFORMATIVE = /^\s+at |^Node\.js v\d|^\s*\^+\s*$/;

export function stderrSuffix(end: SessionEnd): string {
  const lines = end.stderr.filter((l) => !UNINFORMATIVE.test(l)).slice(-QUOTED_STDERR_LINES);
  return lines.length > 0 ? `; last stderr:\n  ${lines.join('\n  ')}` : '';
}

/** V8 aborts on heap exhaustion (SIGABRT/SIGTRAP, or exit code 134) after printing one of these. */
export function ranOutOfMemory(end: SessionEnd): boolean {
  return end.stderr.some((l) => /heap out of memory|Reached heap limit|out of memory/i.test(l));
}

/**
 * Turns a failure of one request into the host's error family. Plugin-reported JSON-RPC errors keep
 * their wire code in `data.rpcCode`; a permission denial reported by plugin-sdk's `serve()` becomes
 * `PermissionDeniedError`.
 */
export function toCallError(error: unknown, where: SandboxErrorOptions, kind: 'tool' | 'hook'): SandboxError {
  // dispose() rejects every pending request with one error: each call gets its own, naming its tool.
  if (error instanceof DisposedError) return new DisposedError(where);
  if (isSandboxError(error)) return error;
  if (error instanceof MalformedResponseError) return new InvalidOutputError(error.message, { ...where, cause: error });
  if (error instanceof RpcError) {
    const data = (typeof error.data === 'object' && error.data !== null ? error.data : {}) as Record<string, unknown>;
    const rpc = { ...where.data, rpcCode: error.code, ...(error.data === undefined ? {} : { rpcData: error.data }) };
    if (error.code === RpcErrorCode.PERMISSION_DENIED || data.code === 'PERMISSION_DENIED') {
      return new PermissionDeniedError(error.message, {
        ...where,
        cause: error,
        data: { ...rpc, permission: data.permission, resource: data.resource },
      });
    }
    if (kind === 'tool' && error.code === RpcErrorCode.INVALID_PARAMS) {
      return new InvalidArgumentsError([{ path: '', message: error.message }], { ...where, cause: error, data: rpc });
    }
    return new ToolError(error.message, { ...where, cause: error, data: rpc });
  }
  return new CrashedError(error instanceof Error ? error.message : String(error), { ...where, cause: error });
}

/** Wraps a failure during start into a `LoadFailedError` unless it is already a typed sandbox error. */
export function toLoadError(error: unknown, where: SandboxErrorOptions): SandboxError {
  if (isSandboxError(error)) return error;
  if (error instanceof RpcError) {
    return new LoadFailedError(`the handshake failed: ${error.message}`, { ...where, cause: error, data: { rpcCode: error.code } });
  }
  return new LoadFailedError(error instanceof Error ? error.message : String(error), { ...where, cause: error });
}
