import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { serveMcp, type McpServing } from '../src/index.js';
import { originProblem } from '../src/origin.js';
import { exampleHost, type TestHost } from './support.js';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
};

/** A raw POST, so tests can send the Host and Origin headers a browser under DNS rebinding would. */
function post(port: number, headers: Record<string, string>, body: unknown = INIT): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      { host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

let t: TestHost;
beforeAll(async () => {
  t = await exampleHost();
});
afterAll(() => t?.cleanup());

describe('who may talk to the HTTP listener', () => {
  test('binding a non-loopback address without a token or an Origin allowlist is refused before listening', async () => {
    await expect(serveMcp(t.host, { transport: { http: { port: 0, host: '0.0.0.0' } } })).rejects.toMatchObject({
      code: 'INSECURE_LISTENER',
      data: { host: '0.0.0.0' },
    });
  });

  test('a short token and a malformed origin are INVALID_OPTIONS naming the option', async () => {
    await expect(serveMcp(t.host, { transport: { http: { port: 0, token: 'short' } } })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      data: { option: 'http.token' },
    });
    await expect(serveMcp(t.host, { transport: { http: { port: 0, allowedOrigins: ['evil.example'] } } })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      data: { option: 'http.allowedOrigins' },
    });
  });

  describe('on loopback', () => {
    let serving: McpServing;
    beforeAll(async () => {
      serving = await serveMcp(t.host, { transport: { http: { port: 0 } } });
    });
    afterAll(() => serving.close());

    test('a request from a rebinding page (foreign Host or Origin) is 403', async () => {
      expect((await post(serving.port!, { host: `evil.example:${serving.port}` })).status).toBe(403);
      const foreignOrigin = await post(serving.port!, { origin: 'http://evil.example' });
      expect(foreignOrigin.status).toBe(403);
      expect(JSON.parse(foreignOrigin.body).error.message).toBe('Forbidden: Origin "http://evil.example" is not allowed');
    });

    test('a loopback page and a client without Origin get through', async () => {
      expect((await post(serving.port!, { origin: 'http://localhost:3000' })).status).toBe(200);
      expect((await post(serving.port!, {})).status).toBe(200);
    });

    test('a body that is not JSON is a parse error; another path is 404', async () => {
      const bad = await post(serving.port!, {}, '{nope');
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body).error.code).toBe(-32700);
      const res = await fetch(`http://127.0.0.1:${serving.port}/other`);
      expect(res.status).toBe(404);
    });

    test('a request with an unknown session id is 404, as the spec asks', async () => {
      const res = await post(serving.port!, { 'mcp-session-id': 'made-up' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
      expect(res.status).toBe(404);
    });
  });

  describe('with a bearer token', () => {
    const token = 'a-long-enough-secret-token';
    let serving: McpServing;
    beforeAll(async () => {
      serving = await serveMcp(t.host, { transport: { http: { port: 0, token } } });
    });
    afterAll(() => serving.close());

    test('no token or a wrong one is 401; the right one lists tools', async () => {
      expect((await post(serving.port!, {})).status).toBe(401);
      expect((await post(serving.port!, { authorization: `Bearer ${token}x` })).status).toBe(401);
      const client = new Client({ name: 'test', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(serving.url!), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
      );
      try {
        expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      } finally {
        await client.close();
      }
    });
  });

  test('stateless mode answers a call without a session', async () => {
    const serving = await serveMcp(t.host, { transport: { http: { port: 0, sessions: 'stateless' } } });
    try {
      const client = new Client({ name: 'test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(serving.url!)));
      try {
        const r = await client.callTool({ name: 'native-echo__echo', arguments: { n: 2 } });
        expect(r.structuredContent).toEqual({ n: 2 });
      } finally {
        await client.close();
      }
    } finally {
      await serving.close();
    }
  });
});

describe('originProblem', () => {
  const loopback = { loopback: true, allowedOrigins: [] };
  test.each([
    ['loopback Host, no Origin', { host: '127.0.0.1:8080' }, loopback, undefined],
    ['localhost Host, localhost Origin', { host: 'localhost:8080', origin: 'http://localhost:5173' }, loopback, undefined],
    ['IPv6 loopback Host', { host: '[::1]:8080' }, loopback, undefined],
    ['rebound name in Host', { host: 'evil.example:8080' }, loopback, 'Host header "evil.example:8080" is not a loopback name'],
    ['no Host at all', {}, loopback, 'Host header null is not a loopback name'],
    ['foreign Origin', { host: '127.0.0.1', origin: 'https://evil.example' }, loopback, 'Origin "https://evil.example" is not allowed'],
    ['"null" Origin', { host: '127.0.0.1', origin: 'null' }, loopback, 'Origin "null" is not a URL'],
    ['listed Origin off loopback', { host: 'mcp.example', origin: 'https://app.example' }, { loopback: false, allowedOrigins: ['https://app.example'] }, undefined],
    ['loopback Origin off loopback', { host: 'mcp.example', origin: 'http://localhost' }, { loopback: false, allowedOrigins: ['https://app.example'] }, 'Origin "http://localhost" is not allowed'],
  ])('%s', (_name, headers, policy, expected) => {
    expect(originProblem(headers, policy)).toBe(expected);
  });
});
