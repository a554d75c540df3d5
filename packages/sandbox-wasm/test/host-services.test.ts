import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestContext } from '@clawdesk/sandbox/conformance';
import { createHostServices } from '../src/host-services.js';
import { loadExample } from './helpers.js';

describe("http_request: allowedHosts names are resolved once, kept off the host's own addresses, and pinned", () => {
  let server: Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('inside');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const services = async (allowedHosts: string[], lookup?: (name: string) => Promise<{ address: string; family: number }[]>) => {
    const ctx = createTestContext(await loadExample('wasm-hostile'));
    return { ctx, http: createHostServices(ctx, allowedHosts, 2 ** 20, lookup).http };
  };
  const get = (url: string) => ({ url, method: 'GET', headers: {} });
  const signal = new AbortController().signal;

  test('a listed name that resolves to loopback is refused and never connected to', async () => {
    const before = hits;
    const { http, ctx } = await services(['localhost'], async () => [{ address: '127.0.0.1', family: 4 }]);
    try {
      const reply = await http(get(`http://localhost:${port}/`), signal);
      expect(reply.status).toBe(0);
      expect(reply.error).toMatch(/localhost resolves to 127\.0\.0\.1, a loopback, private or link-local address that is not itself in allowedHosts/);
      expect(hits).toBe(before);
    } finally {
      ctx.cleanup();
    }
  });

  test('a name resolving to a private address reaches it only when that address is listed too, through the one address resolved', async () => {
    let lookups = 0;
    const lookup = async () => (lookups++, [{ address: '127.0.0.1', family: 4 }]);
    const { http, ctx } = await services(['api.test', `127.0.0.1:${port}`], lookup);
    try {
      const reply = await http(get(`http://api.test:${port}/`), signal);
      expect(reply.status).toBe(200);
      expect(Buffer.from(reply.body!).toString()).toBe('inside');
      expect(lookups).toBe(1);
    } finally {
      ctx.cleanup();
    }
  });
});
