/** JSON-RPC 2.0 message shapes and the wire error codes clawdesk uses (the MCP stdio subset). */

export type RequestId = string | number;

export interface RpcRequest {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: unknown;
}

export interface RpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: unknown;
}

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface RpcSuccess {
  jsonrpc: '2.0';
  id: RequestId;
  result: unknown;
}

export interface RpcFailure {
  jsonrpc: '2.0';
  id: RequestId | null;
  error: RpcErrorObject;
}

export type RpcResponse = RpcSuccess | RpcFailure;
export type RpcMessage = RpcRequest | RpcNotification | RpcResponse;

/**
 * Numeric codes sent over the wire. The first five are JSON-RPC's own; `REQUEST_CANCELLED` is the
 * LSP/MCP convention; `PERMISSION_DENIED` is clawdesk's (`data`: `{ code: 'PERMISSION_DENIED', permission?, resource? }`).
 */
export const RpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** A host-side failure answering a plugin's request (`data.code` is the SandboxErrorCode when there is one). */
  SERVER_ERROR: -32000,
  PERMISSION_DENIED: -32003,
  REQUEST_CANCELLED: -32800,
} as const;

/** An error response a peer sent us: the wire family, kept apart from the host's SandboxError family. */
export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(error: RpcErrorObject) {
    super(error.message);
    this.name = 'RpcError';
    this.code = error.code;
    this.data = error.data;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is RequestId => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/**
 * A response the peer sent for one of our requests that cannot be accepted (malformed, or nested
 * too deep to handle safely): the request fails with it at once instead of waiting for its timeout.
 */
export class MalformedResponseError extends Error {
  readonly code = 'MALFORMED_RESPONSE';
  constructor(reason: string) {
    super(`its response ${reason}`);
    this.name = 'MalformedResponseError';
  }
}

/** Why a value is not a message; `responseTo` when it still looks like a response to that request id. */
export interface InvalidMessage {
  invalid: string;
  responseTo?: RequestId;
}

/** Narrows a parsed JSON value to a JSON-RPC 2.0 message, or returns a reason it is not one. */
export function toRpcMessage(value: unknown): RpcMessage | InvalidMessage {
  if (!isObject(value)) return { invalid: 'not an object' };
  if (value.jsonrpc !== '2.0') return { invalid: 'missing "jsonrpc": "2.0"' };
  if (typeof value.method === 'string') {
    if (!('id' in value)) return value as unknown as RpcNotification;
    if (isId(value.id)) return value as unknown as RpcRequest;
    return { invalid: 'request id must be a string or a number' };
  }
  if ('result' in value || 'error' in value) {
    if (!(isId(value.id) || value.id === null)) return { invalid: 'response id must be a string, a number or null' };
    if ('error' in value) {
      const e = value.error;
      if (!isObject(e) || typeof e.code !== 'number' || typeof e.message !== 'string') {
        return { invalid: 'error must have a numeric "code" and a string "message"', ...(isId(value.id) ? { responseTo: value.id } : {}) };
      }
    }
    return value as unknown as RpcResponse;
  }
  return { invalid: 'neither a request, a notification nor a response' };
}

/**
 * Whether a parsed JSON value nests objects/arrays deeper than `max` levels. Iterative, so any depth
 * is safe to check; callers that recurse (JSON.stringify, loggers, apps) are not.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(current)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** The request id a value answers, if it is shaped like a response at all. */
export function responseId(value: unknown): RequestId | undefined {
  if (!isObject(value) || typeof value.method === 'string' || !('result' in value || 'error' in value)) return undefined;
  return isId(value.id) ? value.id : undefined;
}

export const isRequest = (m: RpcMessage): m is RpcRequest => 'method' in m && 'id' in m;
export const isNotification = (m: RpcMessage): m is RpcNotification => 'method' in m && !('id' in m);
export const isResponse = (m: RpcMessage): m is RpcResponse => !('method' in m);
export const isFailure = (m: RpcResponse): m is RpcFailure => 'error' in m;
