import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { PluginManifest } from '@clawdesk/manifest';
import {
  fetchPinned,
  hostAllowed,
  type HostLookup,
  type PinnedAddress,
  resolveAllowedHost,
  CancelledError,
  type DownloadResult,
  isSandboxError,
  OutputTooLargeError,
  PermissionDeniedError,
  TimeoutError,
} from '@clawdesk/sandbox';
import { DownloadFailedError, HostError } from './errors.js';

/** Limits of `browserDownload`, host-wide. */
export interface DownloadPolicy {
  /** Largest body accepted, in bytes (after content decoding). Default 50 MiB. */
  maxBytes: number;
  /** Redirect hops followed, each re-checked against `allowedHosts`. Default 5. */
  maxRedirects: number;
  /** Whole download, redirects included. Default 120000 ms. */
  timeoutMs: number;
  /** What a plugin's downloads dir may hold in all, in bytes: a plugin downloading in a loop fills no disk. Default 1 GiB. */
  maxTotalBytes: number;
}

export const DEFAULT_DOWNLOAD_POLICY: Readonly<DownloadPolicy> = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxRedirects: 5,
  timeoutMs: 120_000,
  maxTotalBytes: 1024 * 1024 * 1024,
});

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Bytes held by the files in `dir` (downloads in progress included). */
async function bytesIn(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(path.join(dir, entry.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** The URL as errors and logs show it: credentials in it (`user:pw@`) are never repeated. */
export function shown(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/** The `Referer` of the first download rule whose `matchHosts` entry is a substring of the URL's host. */
export function refererFor(url: URL, manifest: PluginManifest): string | undefined {
  const host = url.host.toLowerCase();
  return manifest.browserCdn.downloadRules.find((r) => r.matchHosts.some((h) => h !== '' && host.includes(h.toLowerCase())))?.referer;
}

export interface DownloadRequest {
  manifest: PluginManifest;
  /** The plugin's data dir; files go to `<pluginDataDir>/downloads/`. */
  pluginDataDir: string;
  policy: DownloadPolicy;
  signal?: AbortSignal;
  /** DNS for allowed names (tests inject one); default: the system resolver. */
  lookup?: HostLookup;
}

/**
 * The host's `browser_download` for one plugin: http/https only, every hop's host in
 * `allowedHosts`, the plugin's download rule's referer sent, the body streamed to disk under a
 * size cap and named by its sha256.
 */
export async function browserDownload(input: string, req: DownloadRequest): Promise<DownloadResult> {
  const plugin = req.manifest.name;
  const timeout = AbortSignal.timeout(req.policy.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new DownloadFailedError('not an absolute URL', { plugin, url: String(input) });
  }
  try {
    for (let hop = 0; ; hop++) {
      const pinned = await checkUrl(url, req.manifest, req.lookup);
      const referer = refererFor(url, req.manifest);
      // Connect to the address just checked: a second DNS answer must not lead elsewhere.
      const res = await fetchPinned(url, pinned, { signal, headers: referer ? { referer } : {} });
      const location = res.headers.get('location');
      if (REDIRECTS.has(res.status) && location) {
        await res.body?.cancel();
        if (hop >= req.policy.maxRedirects) {
          throw new DownloadFailedError(`more than ${req.policy.maxRedirects} redirects`, { plugin, url: input });
        }
        url = new URL(location, url);
        continue;
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new DownloadFailedError(`HTTP ${res.status}`, { plugin, url: shown(url), status: res.status });
      }
      return await saveBody(res, url, req, signal);
    }
  } catch (err) {
    if (signal.aborted) {
      if (timeout.aborted && !req.signal?.aborted) {
        throw new TimeoutError(req.policy.timeoutMs, { plugin, data: { url: shown(url) } });
      }
      throw new CancelledError({ plugin, reason: req.signal?.reason });
    }
    if (isSandboxError(err) || err instanceof HostError) throw err;
    throw new DownloadFailedError((err as Error).message, { plugin, url: shown(url), cause: err });
  }
}

/** Refuses what a plugin may not fetch; resolves to the one address the request may connect to. */
async function checkUrl(url: URL, manifest: PluginManifest, lookup: HostLookup | undefined): Promise<PinnedAddress> {
  // fetch refuses them anyway, repeating them in its message; say why without repeating them.
  if (url.username || url.password) {
    throw new PermissionDeniedError(`browserDownload does not send credentials written in the URL (${shown(url)})`, {
      plugin: manifest.name,
      data: { url: shown(url) },
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PermissionDeniedError(`browserDownload allows http and https only, not ${url.protocol} (${shown(url)})`, {
      plugin: manifest.name,
      data: { url: shown(url) },
    });
  }
  const allowed = manifest.permissions.network.allowedHosts;
  if (!hostAllowed(url, allowed)) {
    throw new PermissionDeniedError(
      `host "${url.host}" is not in permissions.network.allowedHosts (${allowed.length ? allowed.join(', ') : 'none'})`,
      { plugin: manifest.name, data: { url: shown(url), host: url.host, allowedHosts: [...allowed] } },
    );
  }
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const resolved = await resolveAllowedHost(url.hostname, port, allowed, lookup ? { lookup } : {});
  if (resolved.reason !== undefined) {
    throw new PermissionDeniedError(`browserDownload refused ${shown(url)}: ${resolved.reason}`, {
      plugin: manifest.name,
      data: { url: shown(url), host: url.host, allowedHosts: [...allowed], reason: resolved.reason },
    });
  }
  return resolved.pinned;
}

async function saveBody(res: Response, url: URL, req: DownloadRequest, signal: AbortSignal): Promise<DownloadResult> {
  const plugin = req.manifest.name;
  const dir = path.join(req.pluginDataDir, 'downloads');
  await mkdir(dir, { recursive: true });
  // The smaller of the per-download cap and what is left of the plugin's quota.
  const used = await bytesIn(dir);
  const maxBytes = Math.max(0, Math.min(req.policy.maxBytes, req.policy.maxTotalBytes - used));
  const quota = { quotaBytes: req.policy.maxTotalBytes, usedBytes: used };
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes || maxBytes === 0) {
    await res.body?.cancel();
    throw new OutputTooLargeError(maxBytes, { plugin, bytes: Number.isNaN(declared) ? 0 : declared, data: { url: shown(url), ...quota } });
  }
  const temp = path.join(dir, `.part-${randomUUID()}`);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    // Counting inside the pipeline aborts the transfer (and the socket) as soon as the cap is passed.
    await pipeline(
      Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          bytes += chunk.byteLength;
          if (bytes > maxBytes) throw new OutputTooLargeError(maxBytes, { plugin, bytes, data: { url: shown(url), ...quota } });
          hash.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(temp, { flags: 'wx' }),
      { signal },
    );
    const sha256 = hash.digest('hex');
    const file = path.join(dir, sha256 + safeExtension(url));
    await rename(temp, file);
    return { path: file, bytes, sha256, contentType: res.headers.get('content-type') ?? 'application/octet-stream' };
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** `.pdf` from `/a/b/file.pdf?x`, only when short and plain; '' otherwise. */
function safeExtension(url: URL): string {
  const ext = path.posix.extname(url.pathname);
  return /^\.[a-z0-9]{1,8}$/i.test(ext) ? ext.toLowerCase() : '';
}
