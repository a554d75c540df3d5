import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import type { PinnedAddress } from './hosts.js';

export interface PinnedRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  signal?: AbortSignal;
  /** Connection pool to use (e.g. one per plugin, destroyed when it stops); default Node's global agent. */
  agent?: http.Agent;
}

/**
 * One HTTP(S) request to `url` that connects to `pinned` (from `resolveAllowedHost`) instead of
 * resolving the name again, so a second DNS answer cannot lead it elsewhere; the Host header and
 * TLS SNI/certificate check still use the name. Redirects are not followed. Resolves to a
 * WHATWG `Response` whose body streams the reply.
 */
export function fetchPinned(url: URL, pinned: PinnedAddress, init: PinnedRequestInit = {}): Promise<Response> {
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  const method = (init.method ?? 'GET').toUpperCase();
  return new Promise((resolve, reject) => {
    const request = client.request(url, { method, headers: init.headers, lookup, ...(init.signal ? { signal: init.signal } : {}), ...(init.agent ? { agent: init.agent } : {}) }, (res) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
      }
      const status = res.statusCode ?? 502;
      const empty = method === 'HEAD' || status === 204 || status === 304;
      if (empty) res.resume();
      resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage ?? '', headers }));
    });
    request.on('error', reject);
    request.end(init.body);
  });
}
