import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { PluginManifest } from '@clawdesk/manifest';
import type { PluginModule } from '@clawdesk/sandbox';
import type { DownloadPolicy } from '../src/index.js';
import { browserDownload, DEFAULT_DOWNLOAD_POLICY } from '../src/download.js';
import { manifest, type TestHost, withHost } from './helpers.js';

const REFERER = 'https://app.example/page';
const FILE_BODY = 'hello from the cdn\n';

let server: http.Server;
let port: number;
const seenReferers: Array<string | undefined> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seenReferers.push(req.headers.referer);
    if (url.pathname === '/file.txt') {
      if (req.headers.referer !== REFERER) return void res.writeHead(403).end('bad referer');
      return void res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(FILE_BODY);
    }
    const hop = /^\/hop\/(\d+)$/.exec(url.pathname);
    if (hop) {
      const n = Number(hop[1]);
      return void res.writeHead(302, { location: n === 0 ? '/file.txt' : `/hop/${n - 1}` }).end();
    }
    if (url.pathname === '/away') {
      return void res.writeHead(302, { location: `http://localhost:${port}/file.txt` }).end();
    }
    if (url.pathname === '/big') {
      // No content-length: the cap must be enforced while streaming.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let sent = 0;
      const pump = () => {
        while (sent < 200) {
          sent++;
          if (!res.write(Buffer.alloc(1024, 7))) return void res.once('drain', pump);
        }
        res.end();
      };
      return void pump();
    }
    const unique = /^\/unique\/(\d+)$/.exec(url.pathname);
    if (unique) return void res.writeHead(200).end(Buffer.alloc(4096, Number(unique[1])));
    if (url.pathname === '/declared-big') {
      return void res.writeHead(200, { 'content-length': String(20 * 1024) }).end(Buffer.alloc(20 * 1024));
    }
    if (url.pathname === '/stall') {
      res.writeHead(200);
      return void res.write('partial');
    }
    res.writeHead(404).end('not here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A plugin whose `get` tool downloads through the host and reports the outcome as data. */
const downloader = (): PluginModule => ({
  tools: {
    get: {
      description: 'download a url',
      run: async ({ url }, ctx) => {
        try {
          return { ok: await ctx.browserDownload(url) };
        } catch (err) {
          const e = err as { code?: string; message: string; data?: unknown };
          return { error: { code: e.code, message: e.message, data: e.data } };
        }
      },
    },
  },
});

const dlManifest = (name: string, allowedHosts: string[]): PluginManifest =>
  manifest(name, {
    permissions: { network: { allowedHosts }, fs: { read: [], write: [] }, env: [], memoryMb: 128 },
    browserCdn: {
      downloadRules: [
        { matchHosts: ['cdn.elsewhere.example'], referer: 'https://wrong.example/' },
        { matchHosts: ['127.0.0.1'], referer: REFERER },
      ],
    },
  });

async function get(t: TestHost, plugin: string, url: string): Promise<{ ok?: Record<string, unknown>; error?: { code: string; message: string; data: Record<string, unknown> } }> {
  return (await t.host.callTool(plugin, 'get', { url })).structuredContent as never;
}

const withDownloader = (fn: (t: TestHost) => Promise<void>, download: Partial<DownloadPolicy> = { maxBytes: 10 * 1024, timeoutMs: 5000 }) =>
  withHost({ modules: { dl: downloader, strict: downloader, ported: downloader }, download }, async (t) => {
    await t.host.load(dlManifest('dl', ['127.0.0.1']));
    await fn(t);
  });

describe('browserDownload', () => {
  test('downloads into the plugin’s data dir, sending the first matching rule’s referer, and returns path, bytes, sha256 and contentType', async () => {
    await withDownloader(async (t) => {
      const { ok } = await get(t, 'dl', `http://127.0.0.1:${port}/file.txt`);
      const sha256 = createHash('sha256').update(FILE_BODY).digest('hex');
      expect(ok).toEqual({
        path: path.join(t.dataDir, 'dl', 'downloads', `${sha256}.txt`),
        bytes: Buffer.byteLength(FILE_BODY),
        sha256,
        contentType: 'text/plain; charset=utf-8',
      });
      expect(readFileSync(ok?.path as string, 'utf8')).toBe(FILE_BODY);
      expect(seenReferers.at(-1)).toBe(REFERER);
    });
  });

  test('a plugin’s downloads stop at download.maxTotalBytes: a plugin downloading in a loop cannot fill the disk', async () => {
    await withDownloader(
      async (t) => {
        for (const n of [1, 2]) expect((await get(t, 'dl', `http://127.0.0.1:${port}/unique/${n}`)).ok?.bytes).toBe(4096);
        const over = await get(t, 'dl', `http://127.0.0.1:${port}/unique/3`);
        expect(over.error).toMatchObject({ code: 'OUTPUT_TOO_LARGE', data: { limitBytes: 2048, quotaBytes: 10 * 1024, usedBytes: 8192 } });
        expect(readdirSync(path.join(t.dataDir, 'dl', 'downloads'))).toHaveLength(2);
      },
      { maxBytes: 10 * 1024, timeoutMs: 5000, maxTotalBytes: 10 * 1024 },
    );
  });

  test('credentials in a download URL are never repeated in errors', async () => {
    await withDownloader(async (t) => {
      const denied = await get(t, 'dl', `http://user:s3cret@localhost:${port}/file.txt`);
      expect(denied.error?.code).toBe('PERMISSION_DENIED');
      const allowed = await get(t, 'dl', `http://user:s3cret@127.0.0.1:${port}/file.txt`);
      expect(allowed.error).toMatchObject({ code: 'PERMISSION_DENIED', data: { url: `http://127.0.0.1:${port}/file.txt` } });
      expect(allowed.error?.message).toContain('does not send credentials written in the URL');
      for (const e of [denied.error, allowed.error]) expect(JSON.stringify(e)).not.toContain('s3cret');
    });
  });

  test('a host outside permissions.network.allowedHosts, and any scheme but http/https, is PERMISSION_DENIED', async () => {
    await withDownloader(async (t) => {
      const before = seenReferers.length;
      const other = await get(t, 'dl', `http://localhost:${port}/file.txt`);
      expect(other.error).toMatchObject({ code: 'PERMISSION_DENIED', data: { host: `localhost:${port}`, allowedHosts: ['127.0.0.1'] } });
      expect(other.error?.message).toBe(
        `plugin "dl" permission denied: host "localhost:${port}" is not in permissions.network.allowedHosts (127.0.0.1)`,
      );
      for (const url of ['file:///etc/passwd', `ftp://127.0.0.1:${port}/file.txt`, 'data:text/plain,hi']) {
        const res = await get(t, 'dl', url);
        expect(res.error?.code).toBe('PERMISSION_DENIED');
        expect(res.error?.message).toContain('http and https only');
      }
      expect((await get(t, 'dl', 'not a url')).error?.code).toBe('DOWNLOAD_FAILED');
      expect(seenReferers.length).toBe(before);
    });
  });

  test('redirects are followed hop by hop, each hop re-checked; a hop to another host is refused', async () => {
    await withDownloader(async (t) => {
      expect((await get(t, 'dl', `http://127.0.0.1:${port}/hop/3`)).ok?.bytes).toBe(Buffer.byteLength(FILE_BODY));
      const away = await get(t, 'dl', `http://127.0.0.1:${port}/away`);
      expect(away.error).toMatchObject({ code: 'PERMISSION_DENIED', data: { host: `localhost:${port}` } });
    });
  });

  test('more than 5 redirects is DOWNLOAD_FAILED', async () => {
    await withDownloader(async (t) => {
      expect((await get(t, 'dl', `http://127.0.0.1:${port}/hop/4`)).ok).toBeDefined();
      const tooMany = await get(t, 'dl', `http://127.0.0.1:${port}/hop/5`);
      expect(tooMany.error).toMatchObject({ code: 'DOWNLOAD_FAILED' });
      expect(tooMany.error?.message).toBe(`download of http://127.0.0.1:${port}/hop/5 failed: more than 5 redirects`);
    });
  });

  test('a body past maxBytes is aborted with OUTPUT_TOO_LARGE and leaves no file behind', async () => {
    await withDownloader(async (t) => {
      const streamed = await get(t, 'dl', `http://127.0.0.1:${port}/big`);
      expect(streamed.error).toMatchObject({ code: 'OUTPUT_TOO_LARGE', data: { limitBytes: 10 * 1024 } });
      const declared = await get(t, 'dl', `http://127.0.0.1:${port}/declared-big`);
      expect(declared.error).toMatchObject({ code: 'OUTPUT_TOO_LARGE', data: { limitBytes: 10 * 1024, bytes: 20 * 1024 } });
      const dir = path.join(t.dataDir, 'dl', 'downloads');
      expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    });
  });

  test('an HTTP error status is DOWNLOAD_FAILED carrying the status', async () => {
    await withDownloader(async (t) => {
      expect((await get(t, 'dl', `http://127.0.0.1:${port}/missing`)).error).toMatchObject({
        code: 'DOWNLOAD_FAILED',
        data: { status: 404, url: `http://127.0.0.1:${port}/missing` },
      });
    });
  });

  test('a download that stalls past download.timeoutMs is TIMEOUT', async () => {
    await withDownloader(
      async (t) => {
        expect((await get(t, 'dl', `http://127.0.0.1:${port}/stall`)).error).toMatchObject({ code: 'TIMEOUT', data: { timeoutMs: 300 } });
      },
      { maxBytes: 10 * 1024, timeoutMs: 300 },
    );
  });

  test('an allowedHosts entry with a port allows only that port; one without a port allows any', async () => {
    await withDownloader(async (t) => {
      await t.host.load(dlManifest('strict', [`127.0.0.1:${port === 1 ? 2 : 1}`]));
      await t.host.load(dlManifest('ported', [`127.0.0.1:${port}`]));
      expect((await get(t, 'strict', `http://127.0.0.1:${port}/file.txt`)).error?.code).toBe('PERMISSION_DENIED');
      expect((await get(t, 'ported', `http://127.0.0.1:${port}/file.txt`)).ok?.sha256).toBeDefined();
    });
  });
});

describe('allowed names are resolved, kept off private addresses, and pinned', () => {
  const lookupTo = (address: string) => async () => [{ address, family: 4 }];
  const request = (allowedHosts: string[], lookup: () => Promise<{ address: string; family: number }[]>, dataDir: string) => ({
    manifest: dlManifest('pinned', allowedHosts),
    pluginDataDir: dataDir,
    policy: { ...DEFAULT_DOWNLOAD_POLICY, timeoutMs: 5000 },
    lookup,
  });
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(path.join(tmpdir(), 'clawdesk-dl-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test('a listed name that resolves to loopback is PERMISSION_DENIED, and the server never sees a request', async () => {
    const before = seenReferers.length;
    const error = await browserDownload(`http://cdn.test:${port}/file.txt`, request(['cdn.test'], lookupTo('127.0.0.1'), dataDir)).then(
      () => undefined,
      (e: Error & { code?: string; data?: Record<string, unknown> }) => e,
    );
    expect(error?.code).toBe('PERMISSION_DENIED');
    expect(error?.message).toContain('cdn.test resolves to 127.0.0.1, a loopback, private or link-local address that is not itself in allowedHosts');
    expect(seenReferers.length).toBe(before);
  });

  test('with that address listed too, the download connects to the address resolved, sending the name as Host', async () => {
    const result = await browserDownload(`http://cdn.test:${port}/unique/7`, request(['cdn.test', '127.0.0.1'], lookupTo('127.0.0.1'), dataDir));
    expect(result.bytes).toBe(4096);
  });
});
