import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { createRecordingLogger } from '@clawdesk/sandbox/conformance';
import { createEgressProxy, forwardedHeaders, parseAuthority, type EgressProxy, type EgressProxyOptions } from '../../src/isolation/proxy.js';

/** The proxy's limits and framing, with clients on the host (the namespace part is in egress.test.ts). */

interface Running {
  proxy: EgressProxy;
  port: number;
  server: net.Server;
}

const running: Running[] = [];
const servers: net.Server[] = [];

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

async function startProxy(options: EgressProxyOptions): Promise<Running> {
  const proxy = createEgressProxy(options);
  const server = net.createServer();
  const port = await listen(server);
  proxy.serve(server);
  const entry = { proxy, port, server };
  running.push(entry);
  return entry;
}

/** Writes `data` on a fresh connection and collects everything until the proxy closes it. */
async function exchange(port: number, data: string | Buffer): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let got = '';
  socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
  await once(socket, 'connect');
  socket.write(data);
  await once(socket, 'close');
  return got;
}

let target = 0;
beforeAll(async () => {
  const server = http.createServer((req, res) => res.end(`hello ${req.url}`));
  servers.push(server);
  target = await listen(server);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.proxy.close()));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('limits', () => {
  test('one connection past maxConnections is answered 503 and counted; the open ones keep working', async () => {
    const logger = createRecordingLogger();
    const { proxy, port } = await startProxy({ allowedHosts: [`127.0.0.1:${target}`], maxConnections: 2, logger, plugin: 'p' });
    const held = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
    await Promise.all(held.map((s) => once(s, 'connect')));
    while (proxy.stats().active < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const refused = await exchange(port, `GET http://127.0.0.1:${target}/ HTTP/1.1\r\n\r\n`);
    expect(refused).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*\r\n\r\ntoo many connections through the egress proxy \(at most 2\)\n$/);
    expect(proxy.stats()).toMatchObject({ rejected: 1, active: 2 });
    expect(logger.entries).toContainEqual({ level: 'warn', message: 'egress connection refused: too many open', fields: { plugin: 'p', maxConnections: 2 } });
    held[0]!.write(`GET http://127.0.0.1:${target}/still HTTP/1.1\r\nconnection: close\r\n\r\n`);
    let answer = '';
    held[0]!.on('data', (d: Buffer) => (answer += d));
    await once(held[0]!, 'end');
    expect(answer).toMatch(/\r\n\r\nhello \/still$/);
    for (const s of held) s.destroy();
  });

  test('a request head larger than maxHeaderBytes is answered 431', async () => {
    const { port } = await startProxy({ allowedHosts: [`127.0.0.1:${target}`], maxHeaderBytes: 1024 });
    const answer = await exchange(port, `GET http://127.0.0.1:${target}/ HTTP/1.1\r\nx-big: ${'a'.repeat(4096)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  });

  test('a connection that sends nothing is closed after idleTimeoutMs', async () => {
    const { proxy, port } = await startProxy({ allowedHosts: [], idleTimeoutMs: 100 });
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'close');
    while (proxy.stats().active > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(proxy.stats()).toMatchObject({ connections: 1, active: 0 });
  });

  test('stats count the bytes each way', async () => {
    const { proxy, port } = await startProxy({ allowedHosts: [`127.0.0.1:${target}`] });
    const request = `GET http://127.0.0.1:${target}/bytes HTTP/1.1\r\nconnection: close\r\n\r\n`;
    const answer = await exchange(port, request);
    expect(proxy.stats()).toMatchObject({ connections: 1, active: 0, bytesFromPlugin: request.length, bytesToPlugin: answer.length });
  });

  test.each([
    ['maxConnections', 0],
    ['idleTimeoutMs', -1],
    ['maxHeaderBytes', 1.5],
  ] as const)('option %s = %s is refused with the value and its type', (option, value) => {
    expect(() => createEgressProxy({ allowedHosts: [], [option]: value })).toThrow(
      new TypeError(`createEgressProxy: option ${option} must be a positive integer, got ${value} (number)`),
    );
  });
});

describe('tunnels', () => {
  /** A server that writes `bytes` and closes at once, as servers answering `connection: close` do. */
  async function writeAndClose(bytes: Buffer): Promise<number> {
    const server = net.createServer((socket) => socket.end(bytes));
    servers.push(server);
    return listen(server);
  }

  /** Reads a socket to its end, pausing after every chunk, so the proxy still holds bytes for it when the server closes. */
  async function readSlowly(socket: net.Socket, skip: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      socket.pause();
      setTimeout(() => socket.resume(), 2);
    });
    await once(socket, 'close');
    return Buffer.concat(chunks).subarray(skip);
  }

  const payload = Buffer.alloc(8 * 2 ** 20, 'x');

  test('a CONNECT tunnel delivers every byte a server wrote before it closed, to a client reading slowly', async () => {
    const server = await writeAndClose(payload);
    const { port } = await startProxy({ allowedHosts: [`127.0.0.1:${server}`] });
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const head = `HTTP/1.1 200 Connection Established\r\n\r\n`;
    socket.write(`CONNECT 127.0.0.1:${server} HTTP/1.1\r\nhost: 127.0.0.1:${server}\r\n\r\n`);
    const got = await readSlowly(socket, head.length);
    expect(got.length).toBe(payload.length);
  });

  test('a SOCKS5 tunnel delivers every byte a server wrote before it closed, to a client reading slowly', async () => {
    const server = await writeAndClose(payload);
    const { port } = await startProxy({ allowedHosts: [`127.0.0.1:${server}`] });
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(Buffer.from([5, 1, 0])); // greeting: no authentication
    socket.write(Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, server >> 8, server & 255])); // CONNECT 127.0.0.1:server
    const got = await readSlowly(socket, 2 + 10); // method choice, then the request's reply
    expect(got.length).toBe(payload.length);
  });
});

describe('what the proxy refuses to do', () => {
  test('allowedHosts: [] admits nothing', async () => {
    const { proxy, port } = await startProxy({ allowedHosts: [] });
    expect(await exchange(port, `GET http://127.0.0.1:${target}/ HTTP/1.1\r\nconnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    expect(await exchange(port, `CONNECT 127.0.0.1:${target} HTTP/1.1\r\n\r\n`)).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    expect(proxy.stats().denied).toBe(2);
    // The proxy's side of a refused connection closes too, not only the client's.
    while (proxy.stats().active > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  });

  test.each([
    ['an origin-form request', 'GET /path HTTP/1.1', 'this is an egress proxy: send an absolute http:// URI, or CONNECT host:port\n'],
    ['an https:// absolute URI', 'GET https://127.0.0.1/ HTTP/1.1', 'plain requests must be http://, got https: (use CONNECT for https)\n'],
  ])('%s is answered 400 with what to do instead', async (_kind, line, text) => {
    const { port } = await startProxy({ allowedHosts: ['*'] });
    const answer = await exchange(port, `${line}\r\nhost: x\r\nconnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer.endsWith(`\r\n\r\n${text}`)).toBe(true);
  });

  test('CONNECT without a port is answered 400', async () => {
    const { port } = await startProxy({ allowedHosts: ['*'] });
    expect(await exchange(port, 'CONNECT example.com HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*CONNECT needs host:port, got "example.com"\n$/);
  });

  test('an allowed target that does not answer is 502, naming it', async () => {
    const closed = net.createServer();
    const dead = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const { port } = await startProxy({ allowedHosts: [`127.0.0.1:${dead}`] });
    const answer = await exchange(port, `GET http://127.0.0.1:${dead}/ HTTP/1.1\r\nconnection: close\r\n\r\n`);
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 502 Bad Gateway\\r\\n[\\s\\S]*could not reach 127\\.0\\.0\\.1:${dead}: connect ECONNREFUSED`));
  });

  test('a SOCKS5 client offering only username/password is told no method is acceptable', async () => {
    const { port } = await startProxy({ allowedHosts: ['*'] });
    expect(Buffer.from(await exchange(port, Buffer.from([5, 1, 2])), 'latin1')).toEqual(Buffer.from([5, 0xff]));
  });
});

describe('lifecycle', () => {
  test('aborting the signal closes the proxy and its listeners', async () => {
    const controller = new AbortController();
    const { server } = await startProxy({ allowedHosts: [], signal: controller.signal });
    controller.abort();
    await once(server, 'close');
    expect(server.listening).toBe(false);
  });

  test('serve() after close() is refused', async () => {
    const { proxy } = await startProxy({ allowedHosts: [] });
    await proxy.close();
    expect(() => proxy.serve(net.createServer())).toThrow('createEgressProxy: serve() after close()');
  });
});

describe('parseAuthority', () => {
  test.each([
    ['example.com:443', { host: 'example.com', port: 443 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['10.0.0.1:22', { host: '10.0.0.1', port: 22 }],
    ['example.com', undefined],
    ['example.com:0', undefined],
    ['example.com:70000', undefined],
    ['::1:80', undefined],
    ['a/b:80', undefined],
  ])('%s → %j', (authority, expected) => {
    expect(parseAuthority(authority)).toEqual(expected);
  });
});

describe('forwardedHeaders', () => {
  test('drops hop-by-hop headers, those the Connection header names, and every Proxy-* header', () => {
    expect(
      forwardedHeaders({
        connection: 'keep-alive, X-Secret',
        'keep-alive': 'timeout=5',
        'x-secret': 'hop',
        'proxy-authorization': 'Basic c2VjcmV0',
        'proxy-connection': 'keep-alive',
        te: 'trailers',
        upgrade: 'websocket',
        'transfer-encoding': 'chunked',
        'content-type': 'text/plain',
        'set-cookie': ['a=1', 'b=2'],
      }),
    ).toEqual({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
  });
});
