import {
  isFailure,
  isNotification,
  isRequest,
  RpcError,
  RpcErrorCode,
  type RequestId,
  type RpcErrorObject,
  type RpcMessage,
} from './messages.js';

const ignore = () => undefined;

/** How one request ended: the peer's result, or why there is none (an `RpcError` from the peer, or a local failure). */
export type Outcome = { ok: true; result: unknown } | { ok: false; error: Error };

export interface PeerHandlers {
  /** Answers a request from the other side. Throw an `RpcError` to choose the wire code. `signal` aborts on `notifications/cancelled`. */
  request(method: string, params: unknown, signal: AbortSignal): unknown;
  notification(method: string, params: unknown): void;
}

/**
 * Request/response bookkeeping for one JSON-RPC connection: ids, pending callbacks, incoming
 * requests and their cancellation. Timeouts and process policy live above it.
 */
export class RpcPeer {
  readonly #send: (message: RpcMessage) => Promise<void> | void;
  readonly #handlers: PeerHandlers;
  readonly #pending = new Map<RequestId, (outcome: Outcome) => void>();
  readonly #incoming = new Map<RequestId, AbortController>();
  #nextId = 1;
  #closed: Error | undefined;

  /** `send` may return a promise (its rejection is ignored: a failed write means the other side is going away, and its end settles what is pending) or nothing. */
  constructor(send: (message: RpcMessage) => Promise<void> | void, handlers: PeerHandlers) {
    this.#send = send;
    this.#handlers = handlers;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Sends a request; `onOutcome` runs exactly once (or never, after `forget`). */
  request(method: string, params: unknown, onOutcome: (outcome: Outcome) => void): RequestId {
    const id = this.#nextId++;
    if (this.#closed) {
      const error = this.#closed;
      queueMicrotask(() => onOutcome({ ok: false, error }));
      return id;
    }
    this.#pending.set(id, onOutcome);
    // A failed write means the child is going away; its exit settles the request with a better error.
    this.#post(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return id;
  }

  notify(method: string, params?: unknown): void {
    if (this.#closed) return;
    this.#post(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  }

  /** Routes a still-pending request's outcome elsewhere (e.g. to notice a late answer after a timeout). */
  redirect(id: RequestId, onOutcome: (outcome: Outcome) => void): boolean {
    if (!this.#pending.has(id)) return false;
    this.#pending.set(id, onOutcome);
    return true;
  }

  /** Fails a still-pending request now (e.g. its answer arrived unusable). Returns whether it was pending. */
  fail(id: RequestId, error: Error): boolean {
    const onOutcome = this.#pending.get(id);
    if (!onOutcome) return false;
    this.#pending.delete(id);
    onOutcome({ ok: false, error });
    return true;
  }

  forget(id: RequestId): void {
    this.#pending.delete(id);
  }

  /** Settles every pending request with `error` and aborts every incoming one. Idempotent. */
  close(error: Error): void {
    if (this.#closed) return;
    this.#closed = error;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const controller of this.#incoming.values()) controller.abort(error);
    this.#incoming.clear();
    for (const onOutcome of pending) onOutcome({ ok: false, error });
  }

  /** Feeds one message read from the other side. */
  handle(message: RpcMessage): void {
    if (isRequest(message)) {
      void this.#answer(message.id, message.method, message.params);
    } else if (isNotification(message)) {
      if (message.method === 'notifications/cancelled') this.#cancelIncoming(message.params);
      else this.#handlers.notification(message.method, message.params);
    } else {
      if (message.id === null) return;
      const onOutcome = this.#pending.get(message.id);
      if (!onOutcome) return;
      this.#pending.delete(message.id);
      onOutcome(isFailure(message) ? { ok: false, error: new RpcError(message.error) } : { ok: true, result: message.result });
    }
  }

  async #answer(id: RequestId, method: string, params: unknown): Promise<void> {
    const controller = new AbortController();
    this.#incoming.set(id, controller);
    let reply: RpcMessage;
    try {
      const result = await this.#handlers.request(method, params, controller.signal);
      reply = { jsonrpc: '2.0', id, result: result ?? null };
    } catch (error) {
      reply = { jsonrpc: '2.0', id, error: toErrorObject(error) };
    } finally {
      this.#incoming.delete(id);
    }
    if (!this.#closed) this.#post(reply);
  }

  #post(message: RpcMessage): void {
    const sent = this.#send(message);
    if (sent) sent.catch(ignore);
  }

  #cancelIncoming(params: unknown): void {
    const requestId = (params as { requestId?: RequestId } | undefined)?.requestId;
    if (requestId === undefined) return;
    this.#incoming.get(requestId)?.abort(new RpcError({ code: RpcErrorCode.REQUEST_CANCELLED, message: 'request cancelled' }));
  }
}

/** Wire form of a local failure: `RpcError` keeps its code; anything with a string `code` travels as `data.code`. */
export function toErrorObject(error: unknown): RpcErrorObject {
  if (error instanceof RpcError) return { code: error.code, message: error.message, ...(error.data === undefined ? {} : { data: error.data }) };
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return { code: RpcErrorCode.SERVER_ERROR, message, ...(typeof code === 'string' ? { data: { code } } : {}) };
}
