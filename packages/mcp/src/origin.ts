import { isIP } from 'node:net';

/** True for the loopback names and addresses a local-only listener may be reached by. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || h === '0:0:0:0:0:0:0:1';
}

/** The hostname of a `Host` header value (`name`, `name:port`, `[v6]:port`). */
export function hostOfHeader(value: string): string {
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  const colon = value.lastIndexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

export interface OriginPolicy {
  /** The listener is bound to a loopback address. */
  loopback: boolean;
  /** Exact origins (`scheme://host[:port]`) allowed; empty = only loopback origins, and only on a loopback listener. */
  allowedOrigins: readonly string[];
}

/**
 * DNS-rebinding defence for one request: why it is refused, or undefined. A page on `evil.example`
 * that re-points its name to 127.0.0.1 still sends `Host: evil.example` and `Origin: http://evil.example`.
 * Requests without `Origin` (non-browser clients) pass the Origin check; on loopback the Host must be loopback too.
 */
export function originProblem(headers: { host?: string; origin?: string }, policy: OriginPolicy): string | undefined {
  if (policy.loopback) {
    const host = headers.host === undefined ? undefined : hostOfHeader(headers.host);
    if (host === undefined || !isLoopbackHost(host)) return `Host header ${JSON.stringify(headers.host ?? null)} is not a loopback name`;
  }
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  if (policy.allowedOrigins.includes(origin)) return undefined;
  if (policy.allowedOrigins.length === 0 && policy.loopback) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return `Origin ${JSON.stringify(origin)} is not a URL`;
    }
    if ((url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname)) return undefined;
  }
  return `Origin ${JSON.stringify(origin)} is not allowed`;
}
