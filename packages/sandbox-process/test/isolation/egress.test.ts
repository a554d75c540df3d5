import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRecordingLogger } from '@clawdesk/sandbox/conformance';
import { createEgressProxy, type EgressProxy } from '../../src/isolation/proxy.js';
import { listenInNetns, NetnsListenError } from '../../src/isolation/netns-listener.js';
import { IsolationUnavailableError } from '@clawdesk/sandbox';
import { processesMentioning } from '../support/processes.js';
import { RUNTIME_BINARIES } from '../support/plugins.js';
import { createNetns, type Netns } from './netns.js';

/**
 * The namespace is the wall, the proxy the one door: clients run inside a network namespace that has
 * only `lo`, with `HTTP(S)_PROXY` pointing at a listener that `listenInNetns` bound there and this
 * process serves. Targets listen on the host's 127.0.0.1, unreachable from inside except through it.
 */

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const CA = path.join(FIXTURES, 'ca.crt');
const PROXY_PORT = 3128;
const PROXY_URL = `http://127.0.0.1:${PROXY_PORT}`;

// A fetch from inside, printing what a user would look at: the status and the body, or the error.
// Node's fetch (undici) tunnels http:// through CONNECT too; node:http sends absolute URIs.
const FETCH = `
try {
  const size = Number(process.argv[2] ?? 0);
  const res = await fetch(process.argv[1], size ? { method: 'POST', body: 'y'.repeat(size) } : {});
  console.log(JSON.stringify({ status: res.status, body: await res.text() }));
} catch (error) {
  console.log(JSON.stringify({ error: String(error.cause?.message ?? error.message) }));
}`;

// node:http from inside, honouring NODE_USE_ENV_PROXY: plain HTTP with absolute URIs. Sends each URL
// in turn on one kept-alive agent, streaming a request body of argv[1] bytes in 16 KiB chunks.
const HTTP_GET = `
import http from 'node:http';
// A custom agent honours the proxy variables only when given proxyEnv (the global agent does by itself).
const agent = new http.Agent({ keepAlive: true, maxSockets: 1, proxyEnv: process.env });
const size = Number(process.argv[1]);
const results = [];
for (const url of process.argv.slice(2)) {
  results.push(await new Promise((resolve) => {
    const req = http.request(url, { agent, method: size ? 'POST' : 'GET', headers: { 'proxy-authorization': 'Basic c2VjcmV0', connection: 'keep-alive, x-drop', 'x-drop': 'hop', 'x-keep': 'end-to-end' } }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (d) => (body += d)).on('end', () => resolve({ status: res.status ?? res.statusCode, headers: res.headers, body }));
    });
    req.on('error', (e) => resolve({ error: e.code ?? e.message }));
    let left = size;
    const pump = () => { while (left > 0) { const n = Math.min(left, 16384); left -= n; if (!req.write('z'.repeat(n))) return void req.once('drain', pump); } req.end(); };
    pump();
  }));
}
agent.destroy();
console.log(JSON.stringify(results));`;

// A raw TCP client from inside: connects, optionally writes, prints what came back or the error code.
const RAW = `
const [host, port, send] = [process.argv[1], Number(process.argv[2]), process.argv[3] ?? ''];
const socket = require('node:net').connect({ host, port });
let got = '';
socket.setTimeout(5000, () => { console.log(JSON.stringify({ error: 'TIMEOUT', got })); process.exit(0); });
socket.on('connect', () => { if (send) socket.write(Buffer.from(send, 'base64')); });
socket.on('data', (d) => { got += d.toString('latin1'); if (got.includes('\\u0000END')) socket.end(); });
socket.on('error', (e) => { console.log(JSON.stringify({ error: e.code, got })); process.exit(0); });
socket.on('close', () => { console.log(JSON.stringify({ got })); process.exit(0); });`;

// A client of a server-first protocol (SMTP, SSH): opens a CONNECT tunnel, sends nothing more until
// the server's greeting arrives, answers it, and prints everything it received.
const GREETED = `
const [host, port, target] = [process.argv[1], Number(process.argv[2]), process.argv[3]];
const socket = require('node:net').connect({ host, port });
let got = '';
socket.setTimeout(5000, () => { console.log(JSON.stringify({ error: 'TIMEOUT', got })); process.exit(0); });
socket.on('connect', () => socket.write('CONNECT 127.0.0.1:' + target + ' HTTP/1.1\\r\\nHost: 127.0.0.1:' + target + '\\r\\n\\r\\n'));
socket.on('data', (d) => {
  const before = got;
  got += d.toString('latin1');
  if (!before.includes('220 ') && got.includes('220 ')) socket.write('HELO inside\\r\\n');
  if (got.includes('\\u0000END')) socket.end();
});
socket.on('error', (e) => { console.log(JSON.stringify({ error: e.code, got })); process.exit(0); });
socket.on('close', () => { console.log(JSON.stringify({ got })); process.exit(0); });`;

const proxyEnv = {
  NODE_USE_ENV_PROXY: '1',
  HTTP_PROXY: PROXY_URL,
  HTTPS_PROXY: PROXY_URL,
  http_proxy: PROXY_URL,
  https_proxy: PROXY_URL,
  NO_PROXY: '',
  no_proxy: '',
  NODE_EXTRA_CA_CERTS: CA,
};

let netns: Netns;
let proxy: EgressProxy;
let proxyServer: net.Server;
const logger = createRecordingLogger();
const targets: { http: number; https: number; echo: number; greeter: number; forbidden: number } = { http: 0, https: 0, echo: 0, greeter: 0, forbidden: 0 };
const closers: (() => Promise<unknown>)[] = [];

/** What the target saw of one request: method, path, headers and the body's length. */
function echoRequest(req: http.IncomingMessage, res: http.ServerResponse) {
  if (req.url === '/big') {
    // 4 MiB in 64 KiB writes: a streamed body, no content-length.
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let left = 64;
    const pump = () => {
      while (left > 0) {
        left--;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  let bytes = 0;
  req.on('data', (d: Buffer) => (bytes += d.length));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive, x-hop', 'x-hop': 'must not arrive', 'proxy-authenticate': 'Basic' });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bytes, remotePort: req.socket.remotePort }));
  });
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as net.AddressInfo).port;
}

const node = (script: string, args: string[], env: Record<string, string> = proxyEnv) =>
  netns.run(process.execPath, ['--input-type=module', '-e', script, ...args], env);
const httpGet = async (bodyBytes: number, ...urls: string[]) => {
  const out = await node(HTTP_GET, [String(bodyBytes), ...urls]);
  return JSON.parse(out.stdout.trim().split("\n").pop() || `[{"error":${JSON.stringify(out.stderr)}}]`) as { status?: number; headers?: Record<string, string>; body?: string; error?: string }[];
};
const nodeCjs = (script: string, args: string[]) => netns.run(process.execPath, ['-e', script, ...args]);
const parse = (out: { stdout: string; stderr: string }) => {
  const line = out.stdout.trim().split('\n').pop();
  if (!line) throw new Error(`no output; stderr: ${out.stderr}`);
  const result = JSON.parse(line) as { status?: number; body?: string; error?: string; got?: string };
  return result;
};

beforeAll(async () => {
  netns = await createNetns();
  targets.http = await listen(http.createServer(echoRequest));
  targets.https = await listen(https.createServer({ key: readFileSync(path.join(FIXTURES, 'localhost.key')), cert: readFileSync(path.join(FIXTURES, 'localhost.crt')) }, echoRequest));
  targets.echo = await listen(
    net.createServer((socket) => {
      socket.on('error', () => {});
      socket.on('data', (d) => socket.write(Buffer.concat([Buffer.from('echo:'), d, Buffer.from('\0END')])));
    }),
  );
  // Speaks first, as SMTP and SSH servers do: a greeting the moment the connection opens.
  targets.greeter = await listen(
    net.createServer((socket) => {
      socket.on('error', () => {});
      socket.write('220 greeter ready\r\n');
      socket.on('data', (d) => socket.end(Buffer.concat([Buffer.from('250 '), d, Buffer.from('\0END')])));
    }),
  );
  targets.forbidden = await listen(http.createServer((_req, res) => res.end('the forbidden server answered')));
  const lookup = async (name: string) => {
    const table: Record<string, string> = { 'rebind.test': '127.0.0.1', 'pinned.test': '127.0.0.1', 'intranet.test': '10.1.2.3' };
    if (!table[name]) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return [{ address: table[name], family: 4 }];
  };
  proxy = createEgressProxy({
    plugin: 'netns-test',
    logger,
    lookup,
    allowedHosts: [
      `127.0.0.1:${targets.http}`,
      `127.0.0.1:${targets.https}`,
      `127.0.0.1:${targets.echo}`,
      `127.0.0.1:${targets.greeter}`,
      `pinned.test:${targets.http}`,
      `rebind.test:${targets.forbidden}`,
      `intranet.test`,
    ],
  });
  proxyServer = await listenInNetns(netns.pid, { port: PROXY_PORT, host: '127.0.0.1' });
  proxy.serve(proxyServer);
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all(closers.map((close) => close()));
  await netns?.close();
});

describe('listenInNetns', () => {
  test('hands over a server bound to 127.0.0.1 inside the namespace and leaves no helper behind', () => {
    expect(proxyServer.listening).toBe(true);
    expect(proxyServer.address()).toEqual({ address: '127.0.0.1', family: 'IPv4', port: PROXY_PORT });
    expect(processesMentioning("process.send('listening', server")).toEqual([]);
  });

  // What an unprivileged host does: its plugin's netns belongs to a user namespace the host made
  // (unshare --user --map-root-user --net), and joining it needs --user --preserve-credentials too.
  test('works for an unprivileged host whose plugin namespace belongs to its own user namespace', async () => {
    const script = `
      import { spawn, execFileSync } from 'node:child_process';
      import { createInterface } from 'node:readline';
      const { listenInNetns } = await import(process.argv[1]);
      const holder = spawn('unshare', ['--user', '--map-root-user', '--net', 'sh', '-c', 'ip link set lo up && echo ready && exec sleep 60'], { stdio: ['ignore', 'pipe', 'inherit'] });
      for await (const line of createInterface({ input: holder.stdout })) if (line === 'ready') break;
      const server = await listenInNetns(holder.pid, { port: 0 });
      server.on('connection', (s) => s.end('hello from the host side'));
      const client = spawn('nsenter', ['--user', '--net', '--preserve-credentials', '-t', String(holder.pid), process.execPath, '-e',
        "require('net').connect(" + server.address().port + ", '127.0.0.1').on('data', (d) => process.stdout.write(d))"], { stdio: ['ignore', 'pipe', 'inherit'] });
      let got = '';
      for await (const chunk of client.stdout) got += chunk;
      console.log(JSON.stringify({ uid: process.getuid(), got }));
      server.close();
      holder.kill();`;
    const listener = fileURLToPath(new URL('../../src/isolation/netns-listener.ts', import.meta.url));
    const result = await new Promise<string>((resolve, reject) =>
      execFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script, listener], { timeout: 15_000, env: { PATH: process.env.PATH } }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    expect(JSON.parse(result)).toEqual({ uid: 65534, got: 'hello from the host side' });
  });

  test('the port is not bound in the host namespace', async () => {
    const socket = net.connect(PROXY_PORT, '127.0.0.1');
    const [error] = (await once(socket, 'error').catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });
});

describe('the namespace is the wall', () => {
  test('raw TCP from inside to the allowed target on the host fails: inside, 127.0.0.1 is the namespace’s own lo', async () => {
    expect(parse(await nodeCjs(RAW, ['127.0.0.1', String(targets.http)]))).toEqual({ error: 'ECONNREFUSED', got: '' });
  });

  test('raw TCP from inside to the host’s external address has no route', async () => {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    const result = parse(await nodeCjs(RAW, [external ?? '192.0.2.1', String(targets.http)]));
    expect(result.error).toBe('ENETUNREACH');
  });

  test('fetch without the proxy variables reaches nothing', async () => {
    expect(parse(await node(FETCH, [`http://127.0.0.1:${targets.http}/`], {}))).toEqual({ error: `connect ECONNREFUSED 127.0.0.1:${targets.http}` });
  });
});

describe('node fetch through the proxy (NODE_USE_ENV_PROXY=1)', () => {
  test('reaches an allowed http server, which sees the absolute URI as a normal request', async () => {
    const result = parse(await node(FETCH, [`http://127.0.0.1:${targets.http}/hello?x=1`]));
    expect(result.status).toBe(200);
    const seen = JSON.parse(result.body!) as { method: string; url: string; headers: Record<string, string> };
    expect(seen).toMatchObject({ method: 'GET', url: '/hello?x=1' });
    expect(seen.headers.host).toBe(`127.0.0.1:${targets.http}`);
  });

  test('reaches an allowed https server through a CONNECT tunnel (TLS end to end)', async () => {
    const result = parse(await node(FETCH, [`https://127.0.0.1:${targets.https}/secure`]));
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body!)).toMatchObject({ method: 'GET', url: '/secure' });
  });

  test('streams a request body and a 4 MiB response intact', async () => {
    const post = parse(await node(FETCH, [`http://127.0.0.1:${targets.http}/upload`, '300000']));
    expect(JSON.parse(post.body!)).toMatchObject({ method: 'POST', bytes: 300_000 });
    const big = parse(await node(FETCH, [`http://127.0.0.1:${targets.http}/big`]));
    expect(big.status).toBe(200);
    expect(big.body!.length).toBe(4 * 1024 * 1024);
  });

  test('an https host that is not listed is refused at CONNECT, and the denial is logged with the plugin', async () => {
    // undici reports a refused tunnel only as "Request was cancelled."; the reason is in the host's log.
    const result = parse(await node(FETCH, [`https://example.invalid/`]));
    expect(result).toEqual({ error: 'Request was cancelled.' });
    expect(logger.entries).toContainEqual({
      level: 'warn',
      message: 'egress denied',
      fields: { plugin: 'netns-test', host: 'example.invalid', port: 443, protocol: 'connect', reason: 'example.invalid:443 is not in permissions.network.allowedHosts' },
    });
  });

  test('a listed name that resolves to loopback is refused (no DNS rebinding to the host’s services)', async () => {
    const result = (await httpGet(0, `http://rebind.test:${targets.forbidden}/`))[0]!;
    expect(result.status).toBe(403);
    expect(result.body).toBe(
      'egress denied: rebind.test resolves to 127.0.0.1, a loopback, private or link-local address that is not itself in allowedHosts\n',
    );
    expect(logger.entries).toContainEqual({
      level: 'warn',
      message: 'egress denied',
      fields: { plugin: 'netns-test', host: 'rebind.test', port: targets.forbidden, protocol: 'http', reason: expect.stringContaining('resolves to 127.0.0.1') },
    });
  });

  test('a listed name that resolves to a private address is refused', async () => {
    const result = (await httpGet(0, 'http://intranet.test/'))[0]!;
    expect(result.status).toBe(403);
    expect(result.body).toContain('intranet.test resolves to 10.1.2.3');
  });

  test('a listed name whose loopback address is itself listed is admitted, resolved on the proxy side', async () => {
    const result = parse(await node(FETCH, [`http://pinned.test:${targets.http}/named`]));
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body!).headers.host).toBe(`pinned.test:${targets.http}`);
  });
});

describe('node:http through the proxy: plain HTTP with absolute URIs', () => {
  test('two requests share one kept-alive connection to the proxy, and the target sees origin-form requests', async () => {
    const before = proxy.stats().connections;
    const results = await httpGet(0, `http://127.0.0.1:${targets.http}/one`, `http://127.0.0.1:${targets.http}/two?q=2`);
    expect(results.map((r) => [r.status, JSON.parse(r.body!).url])).toEqual([
      [200, '/one'],
      [200, '/two?q=2'],
    ]);
    expect(proxy.stats().connections - before).toBe(1);
  });

  test('hop-by-hop and Proxy-* headers are stripped both ways; end-to-end headers pass', async () => {
    const result = (await httpGet(0, `http://127.0.0.1:${targets.http}/headers`))[0]!;
    const seen = JSON.parse(result.body!).headers as Record<string, string>;
    expect(seen['x-keep']).toBe('end-to-end');
    expect(Object.keys(seen).filter((h) => h.startsWith('proxy-') || h === 'x-drop')).toEqual([]);
    expect(result.headers!['x-hop']).toBeUndefined();
    expect(result.headers!['proxy-authenticate']).toBeUndefined();
  });

  test('a request body streamed in chunks arrives whole', async () => {
    const result = (await httpGet(1_000_000, `http://127.0.0.1:${targets.http}/stream`))[0]!;
    expect(JSON.parse(result.body!)).toMatchObject({ method: 'POST', bytes: 1_000_000 });
  });

  test('a port of an allowed address that is not listed gets 403 with the reason, and the target never sees it', async () => {
    const result = (await httpGet(0, `http://127.0.0.1:${targets.forbidden}/`))[0]!;
    expect([result.status, result.body]).toEqual([403, `egress denied: 127.0.0.1:${targets.forbidden} is not in permissions.network.allowedHosts\n`]);
  });
});

describe('raw TCP through the proxy', () => {
  const connect = (port: number) => Buffer.from(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\nping`).toString('base64');

  test('CONNECT to an allowed TCP port is a tunnel; bytes sent with the request head arrive too', async () => {
    const result = parse(await nodeCjs(RAW, ['127.0.0.1', String(PROXY_PORT), connect(targets.echo)]));
    expect(result.got).toBe('HTTP/1.1 200 Connection Established\r\n\r\necho:ping\0END');
  });

  test('a server that speaks first (SMTP, SSH) is heard through the tunnel before the client writes, and the dialogue goes on', async () => {
    const result = parse(await nodeCjs(GREETED, ['127.0.0.1', String(PROXY_PORT), String(targets.greeter)]));
    expect(result.got).toBe('HTTP/1.1 200 Connection Established\r\n\r\n220 greeter ready\r\n250 HELO inside\r\n\0END');
  });

  test('CONNECT to a port that is not listed gets 403 and a closed connection', async () => {
    const result = parse(await nodeCjs(RAW, ['127.0.0.1', String(PROXY_PORT), connect(targets.forbidden)]));
    expect(result.got).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*\r\n\r\negress denied: 127\.0\.0\.1:\d+ is not in permissions\.network\.allowedHosts\n$/);
  });

  const socks = (host: string, port: number) => {
    const name = Buffer.from(host);
    const request = Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, Buffer.from([port >> 8, port & 255])]);
    return Buffer.concat([Buffer.from([5, 1, 0]), request, Buffer.from('ping')]).toString('base64');
  };

  test('SOCKS5 CONNECT on the same port reaches an allowed TCP port', async () => {
    const result = parse(await nodeCjs(RAW, ['127.0.0.1', String(PROXY_PORT), socks('127.0.0.1', targets.echo)]));
    expect(Buffer.from(result.got!, 'latin1')).toEqual(Buffer.concat([Buffer.from([5, 0]), Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from('echo:ping\0END')]));
  });

  test('SOCKS5 CONNECT to a name that resolves to loopback is refused with "not allowed by ruleset"', async () => {
    const result = parse(await nodeCjs(RAW, ['127.0.0.1', String(PROXY_PORT), socks('rebind.test', targets.forbidden)]));
    expect(Buffer.from(result.got!, 'latin1')).toEqual(Buffer.from([5, 0, 5, 2, 0, 1, 0, 0, 0, 0, 0, 0]));
  });
});

const runtimes = (['bun', 'deno'] as const).filter((r) => RUNTIME_BINARIES[r]);

describe.each(runtimes)('%s fetch through the proxy (HTTP_PROXY / HTTPS_PROXY)', (runtime) => {
  const run = (url: string) => {
    const bin = RUNTIME_BINARIES[runtime]!;
    const env = { ...proxyEnv, HOME: os.tmpdir(), DENO_CERT: CA, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: path.join(os.tmpdir(), 'clawdesk-proxy-test-deno') };
    const script = FETCH.replaceAll('process.argv[1]', 'URL_ARG').replaceAll('process.argv[2]', '0');
    const code = `const URL_ARG = ${JSON.stringify(url)};\n${script}`;
    return netns.run(bin, runtime === 'deno' ? ['eval', code] : ['-e', code], env);
  };

  test('reaches an allowed http server', async () => {
    const result = parse(await run(`http://127.0.0.1:${targets.http}/from-${runtime}`));
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body!)).toMatchObject({ url: `/from-${runtime}` });
  });

  test('reaches an allowed https server through CONNECT', async () => {
    const result = parse(await run(`https://127.0.0.1:${targets.https}/tls-${runtime}`));
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body!)).toMatchObject({ url: `/tls-${runtime}` });
  });

  test('gets 403 for a port that is not listed', async () => {
    const result = parse(await run(`http://127.0.0.1:${targets.forbidden}/`));
    expect(result.status).toBe(403);
  });

  test(`a raw ${runtime === 'bun' ? 'Bun.connect' : 'Deno.connect'} to the allowed target fails: the proxy is the only way out`, async () => {
    const bin = RUNTIME_BINARIES[runtime]!;
    const connect =
      runtime === 'bun'
        ? `Bun.connect({ hostname: '127.0.0.1', port: ${targets.http}, socket: { data() {} } })`
        : `Deno.connect({ hostname: '127.0.0.1', port: ${targets.http} })`;
    const code = `try { await ${connect}; console.log('connected'); } catch (error) { console.log(error.code ?? error.name); }`;
    const env = { HOME: os.tmpdir(), DENO_NO_UPDATE_CHECK: '1', DENO_DIR: path.join(os.tmpdir(), 'clawdesk-proxy-test-deno') };
    const out = await netns.run(bin, runtime === 'deno' ? ['eval', code] : ['-e', code], env);
    expect(out.stdout.trim()).toBe('ECONNREFUSED');
  });
});

describe('close()', () => {
  // A long CONNECT tunnel from inside: prints when the tunnel is up, then how the connection ended.
  const HOLD = `
const socket = require('node:net').connect(Number(process.argv[1]), '127.0.0.1');
socket.on('connect', () => socket.write('CONNECT 127.0.0.1:' + process.argv[2] + ' HTTP/1.1\\r\\n\\r\\n'));
socket.on('data', (d) => { if (String(d).startsWith('HTTP/1.1 200')) console.log('up'); });
socket.on('error', (e) => console.log('error ' + e.code));
socket.on('close', () => { console.log('closed'); process.exit(0); });
setTimeout(() => { console.log('still open'); process.exit(0); }, 10000);`;

  test('destroys open tunnels, stops listening and leaves no socket or helper behind', async () => {
    const second = createEgressProxy({ allowedHosts: [`127.0.0.1:${targets.echo}`] });
    const server = await listenInNetns(netns.pid, { port: 3129 });
    second.serve(server);
    const holding = netns.run(process.execPath, ['-e', HOLD, '3129', String(targets.echo)]);
    while (second.stats().active === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    // Give the tunnel time to be spliced: the proxy answers 200 once upstream is connected.
    while (second.stats().bytesToPlugin === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await second.close();
    expect((await holding).stdout.trim().split('\n')).toEqual(['up', 'closed']);
    expect(server.listening).toBe(false);
    expect(second.stats()).toMatchObject({ active: 0, connections: 1 });
    expect(parse(await nodeCjs(RAW, ['127.0.0.1', '3129']))).toEqual({ error: 'ECONNREFUSED', got: '' });
    expect(processesMentioning("process.send('listening', server")).toEqual([]);
  });
});

describe('listenInNetns failures', () => {
  test('a pid that does not exist is a NetnsListenError with reason no-such-process', async () => {
    const error = await listenInNetns(2 ** 22 + 7, { port: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetnsListenError);
    expect(error).toMatchObject({ code: 'LOAD_FAILED', reason: 'no-such-process' });
  });

  test('a port already bound inside the namespace is reason bind-failed, naming the errno', async () => {
    const error = await listenInNetns(netns.pid, { port: PROXY_PORT }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LOAD_FAILED', reason: 'bind-failed' });
    expect((error as Error).message).toContain('EADDRINUSE');
  });

  // A helper that never answers (a stand-in for node that only sleeps) is killed at the deadline.
  test('a helper that does not hand over a listener in time is reason timeout, and is killed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-netns-'));
    const hang = path.join(dir, 'hangs-forever');
    writeFileSync(hang, `#!/bin/sh\necho $$ > ${dir}/pid\nexec sleep 30\n`, { mode: 0o755 });
    try {
      const error = await listenInNetns(netns.pid, { port: 0, node: hang, timeoutMs: 300 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'LOAD_FAILED', reason: 'timeout' });
      expect((error as Error).message).toBe('plugin failed to load: no egress listener in its network namespace: the nsenter helper did not hand over a listener within 300 ms');
      const pid = readFileSync(path.join(dir, 'pid'), 'utf8').trim();
      for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(existsSync(`/proc/${pid}`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an aborted signal is reason cancelled', async () => {
    const error = await listenInNetns(netns.pid, { port: 0, signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LOAD_FAILED', reason: 'cancelled' });
  });

  test('a missing nsenter is IsolationUnavailableError saying what to install', async () => {
    const error = await listenInNetns(netns.pid, { port: 0, nsenter: '/nonexistent/nsenter' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IsolationUnavailableError);
    expect((error as IsolationUnavailableError).data).toMatchObject({ install: expect.stringContaining('util-linux') });
  });
});
