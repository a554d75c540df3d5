import { RpcError, RpcErrorCode, type RpcMessage } from '../../src/jsonrpc/messages.js';
import { RpcPeer, toErrorObject, type Outcome, type PeerHandlers } from '../../src/jsonrpc/peer.js';

function peerWith(handlers: Partial<PeerHandlers> = {}) {
  const sent: RpcMessage[] = [];
  const peer = new RpcPeer(async (m) => void sent.push(m), {
    request: handlers.request ?? (() => ({})),
    notification: handlers.notification ?? (() => undefined),
  });
  return { peer, sent };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('RpcPeer', () => {
  test('responses are matched to their requests by id, whatever order they arrive in', () => {
    const { peer, sent } = peerWith();
    const outcomes: Record<string, Outcome> = {};
    const a = peer.request('tools/call', { name: 'a' }, (o) => (outcomes.a = o));
    const b = peer.request('tools/call', { name: 'b' }, (o) => (outcomes.b = o));
    expect(sent).toEqual([
      { jsonrpc: '2.0', id: a, method: 'tools/call', params: { name: 'a' } },
      { jsonrpc: '2.0', id: b, method: 'tools/call', params: { name: 'b' } },
    ]);
    peer.handle({ jsonrpc: '2.0', id: b, error: { code: -32602, message: 'bad', data: { x: 1 } } });
    peer.handle({ jsonrpc: '2.0', id: a, result: 'A' });
    expect(outcomes.a).toEqual({ ok: true, result: 'A' });
    expect(outcomes.b?.ok).toBe(false);
    const error = (outcomes.b as { ok: false; error: Error }).error;
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ code: -32602, message: 'bad', data: { x: 1 } });
    expect(peer.pendingCount).toBe(0);
  });

  test('a response for an unknown or forgotten id is ignored, and a duplicate answer settles nothing twice', () => {
    const { peer } = peerWith();
    const seen: Outcome[] = [];
    const id = peer.request('x', undefined, (o) => seen.push(o));
    peer.handle({ jsonrpc: '2.0', id: 999, result: 1 });
    peer.handle({ jsonrpc: '2.0', id, result: 1 });
    peer.handle({ jsonrpc: '2.0', id, result: 2 });
    expect(seen).toEqual([{ ok: true, result: 1 }]);
    const forgotten = peer.request('y', undefined, (o) => seen.push(o));
    peer.forget(forgotten);
    peer.handle({ jsonrpc: '2.0', id: forgotten, result: 3 });
    expect(seen).toHaveLength(1);
  });

  test('redirect() sends a late answer to a new callback', () => {
    const { peer } = peerWith();
    const first: Outcome[] = [];
    const late: Outcome[] = [];
    const id = peer.request('x', undefined, (o) => first.push(o));
    expect(peer.redirect(id, (o) => late.push(o))).toBe(true);
    peer.handle({ jsonrpc: '2.0', id, result: 'late' });
    expect(first).toEqual([]);
    expect(late).toEqual([{ ok: true, result: 'late' }]);
    expect(peer.redirect(id, () => undefined)).toBe(false);
  });

  test('close() settles every pending request with the error, aborts incoming ones, and fails later requests', async () => {
    let incomingSignal: AbortSignal | undefined;
    const { peer, sent } = peerWith({
      request: (_m, _p, signal) => {
        incomingSignal = signal;
        return new Promise(() => undefined);
      },
    });
    const seen: Outcome[] = [];
    peer.request('a', undefined, (o) => seen.push(o));
    peer.request('b', undefined, (o) => seen.push(o));
    peer.handle({ jsonrpc: '2.0', id: 'p1', method: 'host/browserDownload', params: { url: 'x' } });
    const crash = new Error('gone');
    peer.close(crash);
    expect(seen).toEqual([
      { ok: false, error: crash },
      { ok: false, error: crash },
    ]);
    expect(incomingSignal?.aborted).toBe(true);
    const later: Outcome[] = [];
    peer.request('c', undefined, (o) => later.push(o));
    await tick();
    expect(later).toEqual([{ ok: false, error: crash }]);
    const count = sent.length;
    peer.notify('n');
    expect(sent).toHaveLength(count);
  });

  test('incoming requests are answered with the handler result, or its error as a JSON-RPC error', async () => {
    const { peer, sent } = peerWith({
      request: async (method) => {
        if (method === 'ok') return { fine: true };
        if (method === 'void') return undefined;
        if (method === 'wire') throw new RpcError({ code: RpcErrorCode.METHOD_NOT_FOUND, message: 'method not found: wire' });
        throw Object.assign(new Error('not allowed'), { code: 'PERMISSION_DENIED' });
      },
    });
    for (const [id, method] of [[1, 'ok'], [2, 'void'], [3, 'wire'], [4, 'boom']] as const) peer.handle({ jsonrpc: '2.0', id, method });
    await tick();
    expect(sent).toEqual([
      { jsonrpc: '2.0', id: 1, result: { fine: true } },
      { jsonrpc: '2.0', id: 2, result: null },
      { jsonrpc: '2.0', id: 3, error: { code: -32601, message: 'method not found: wire' } },
      { jsonrpc: '2.0', id: 4, error: { code: -32000, message: 'not allowed', data: { code: 'PERMISSION_DENIED' } } },
    ]);
  });

  test('notifications/cancelled from the other side aborts the matching incoming request', async () => {
    let signal: AbortSignal | undefined;
    const { peer, sent } = peerWith({
      request: (_m, _p, s) =>
        new Promise((_resolve, reject) => {
          signal = s;
          s.addEventListener('abort', () => reject(s.reason));
        }),
    });
    peer.handle({ jsonrpc: '2.0', id: 'd1', method: 'host/browserDownload' });
    peer.handle({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'd1' } });
    await tick();
    expect(signal?.aborted).toBe(true);
    expect(sent).toEqual([{ jsonrpc: '2.0', id: 'd1', error: { code: RpcErrorCode.REQUEST_CANCELLED, message: 'request cancelled' } }]);
  });

  test('other notifications go to the handler', () => {
    const seen: unknown[] = [];
    const { peer } = peerWith({ notification: (method, params) => seen.push([method, params]) });
    peer.handle({ jsonrpc: '2.0', method: 'host/log', params: { level: 'info', message: 'hi' } });
    expect(seen).toEqual([['host/log', { level: 'info', message: 'hi' }]]);
  });

  test('toErrorObject keeps RpcError codes and data, and carries a string code of any other error as data.code', () => {
    expect(toErrorObject(new RpcError({ code: -32602, message: 'm', data: [1] }))).toEqual({ code: -32602, message: 'm', data: [1] });
    expect(toErrorObject('plain')).toEqual({ code: -32000, message: 'plain' });
    expect(toErrorObject(Object.assign(new Error('e'), { code: 42 }))).toEqual({ code: -32000, message: 'e' });
  });
});
