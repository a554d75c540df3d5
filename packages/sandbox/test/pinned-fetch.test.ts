import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchPinned, resolveAllowedHost } from '../src/index.js';

describe('fetchPinned: connects to the pinned address, keeps the name', () => {
  let server: Server;
  let port: number;
  const seen: { host?: string; method?: string; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ host: req.headers.host, method: req.method, body });
        res.setHeader('x-reply', 'yes');
        res.end(`hello ${req.url}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test('a name that does not resolve anywhere reaches the pinned address, with its own Host header', async () => {
    const url = new URL(`http://never-resolved.invalid:${port}/path?q=1`);
    const res = await fetchPinned(url, { address: '127.0.0.1', family: 4 }, { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-reply')).toBe('yes');
    expect(await res.text()).toBe('hello /path?q=1');
    expect(seen.at(-1)).toEqual({ host: `never-resolved.invalid:${port}`, method: 'POST', body: 'payload' });
  });

  test('with resolveAllowedHost, a listed name resolving to loopback is refused unless the address is listed', async () => {
    const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
    expect((await resolveAllowedHost('localhost', port, ['localhost'], { lookup })).reason).toMatch(/loopback/);
    const ok = await resolveAllowedHost('localhost', port, ['localhost', `127.0.0.1:${port}`], { lookup });
    expect(ok.pinned).toEqual({ address: '127.0.0.1', family: 4 });
    expect((await fetchPinned(new URL(`http://localhost:${port}/x`), ok.pinned!)).status).toBe(200);
  });

  test('an agent given is the pool used: its sockets are the ones kept alive, and destroying it closes them', async () => {
    const agent = new Agent({ keepAlive: true });
    const res = await fetchPinned(new URL(`http://pool.invalid:${port}/pooled`), { address: '127.0.0.1', family: 4 }, { agent });
    expect(await res.text()).toBe('hello /pooled');
    const pooled = () => Object.values(agent.freeSockets).flat().length;
    for (let i = 0; i < 100 && pooled() === 0; i++) await new Promise((r) => setImmediate(r));
    expect(pooled()).toBe(1);
    const [socket] = Object.values(agent.freeSockets).flat();
    agent.destroy();
    expect(socket?.destroyed).toBe(true);
  });
});
