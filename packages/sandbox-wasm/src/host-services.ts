/**
 * What a plugin worker asks of the main thread: the host's browserDownload, HTTP for Extism's
 * http_request (checked against allowedHosts at every redirect, resolved once and connected to
 * that address, never to a loopback or private one the list does not name), and logging.
 */
import { fetchPinned, type HostLookup, resolveAllowedHost, type SandboxContext } from '@clawdesk/sandbox';
import type { HttpReply, HttpRequest } from './protocol.js';

export interface HostServices {
  log(level: string, message: string): void;
  /** `request`: the plugin's JSON text `{url}`. Resolves to JSON text: a DownloadResult or `{error}`. */
  browserDownload(request: string, signal: AbortSignal): Promise<string>;
  http(request: HttpRequest, signal: AbortSignal): Promise<HttpReply>;
}

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);
const MAX_REDIRECTS = 5;

export function createHostServices(ctx: SandboxContext, allowedHosts: readonly string[], maxHttpBytes: number, lookup?: HostLookup): HostServices {
  const refuse = (message: string): HttpReply => {
    ctx.logger.warn(message);
    return { status: 0, error: message };
  };

  return {
    log(level, message) {
      ctx.logger[(LEVELS.has(level) ? level : 'info') as 'info'](message);
    },

    async browserDownload(request, signal) {
      let url: unknown;
      try {
        url = (JSON.parse(request) as { url?: unknown }).url;
      } catch {
        // answered below
      }
      if (typeof url !== 'string') return JSON.stringify({ error: 'browser_download expects {"url": "<address>"}' });
      try {
        return JSON.stringify(await ctx.browserDownload(url, { signal }));
      } catch (error) {
        return JSON.stringify({ error: error instanceof Error ? error.message : String(error) });
      }
    },

    async http(request, signal) {
      let url = new URL(request.url);
      let { method, body } = request;
      for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
        if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse(`blocked HTTP request to ${url.href}: only http and https are allowed`);
        const port = url.port || (url.protocol === 'https:' ? '443' : '80');
        const allowed = await resolveAllowedHost(url.hostname, port, allowedHosts, lookup ? { lookup } : {});
        if (allowed.reason !== undefined) return refuse(`blocked HTTP request to ${url.host}: ${allowed.reason}`);
        let response: Response;
        try {
          response = await fetchPinned(url, allowed.pinned, { method, headers: request.headers, body, signal });
        } catch (error) {
          return { status: 0, error: error instanceof Error ? error.message : String(error) };
        }
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location !== null) {
          await response.body?.cancel();
          url = new URL(location, url);
          if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
          }
          continue;
        }
        const bytes = await readCapped(response, maxHttpBytes);
        if (bytes === null) return refuse(`HTTP response from ${url.host} is larger than ${maxHttpBytes} bytes`);
        return { status: response.status, body: bytes };
      }
      return refuse(`HTTP request to ${request.url} redirected more than ${MAX_REDIRECTS} times`);
    },
  };
}

/** The whole body in one exactly-sized buffer, or null past `maxBytes` (the stream is then cancelled). */
async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array | null> {
  if (response.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.length;
    if (total > maxBytes) return null; // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}
