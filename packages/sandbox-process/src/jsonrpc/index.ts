/** Newline-delimited JSON-RPC 2.0 over byte streams: the wire layer of the process sandbox. Every export here is public API. */
export { LineReader, LineTooLongError, serializeMessage } from './line-reader.js';
export type { LineEvent } from './line-reader.js';
export { LineWriter } from './line-writer.js';
export { RpcPeer, toErrorObject } from './peer.js';
export type { Outcome, PeerHandlers } from './peer.js';
export { isFailure, isNotification, isRequest, isResponse, RpcError, RpcErrorCode, toRpcMessage } from './messages.js';
export type {
  RequestId,
  RpcErrorObject,
  RpcFailure,
  RpcMessage,
  RpcNotification,
  RpcRequest,
  RpcResponse,
  RpcSuccess,
} from './messages.js';
