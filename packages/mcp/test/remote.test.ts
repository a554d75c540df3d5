import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHost, type PluginHost } from '@clawdesk/host';
import type { PluginDescription } from '@clawdesk/sandbox';
import { createTestContext } from '@clawdesk/sandbox/conformance';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createRemoteDriver, RemoteUnreachableError, serveMcp } from '../src/index.js';
import { remoteManifest, startRemoteServer, type RemoteServer } from './remote-server.js';

const call = { signal: new AbortController().signal, timeoutMs: 10_000 };

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('the remote driver refuses and reports', () => {
  test('an unreachable server: a typed error naming the plugin and the url', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/mcp`;
    const m = remoteManifest(url);
    const ctx = createTestContext(m);
    const error = await createRemoteDriver().instantiate(m, ctx).catch((e: unknown) => e);
    ctx.cleanup();
    expect(error).toBeInstanceOf(RemoteUnreachableError);
    expect(error).toMatchObject({ code: 'LOAD_FAILED', plugin: 'remote-echo', url, data: { url } });
    expect((error as Error).message).toContain(url);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  test('a server that accepts but never answers: unreachable once the start limit passes', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/mcp`;
    const m = remoteManifest(url);
    const ctx = createTestContext(m);
    try {
      const error = await createRemoteDriver({ startTimeoutMs: 300 }).instantiate(m, ctx).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteUnreachableError);
      expect((error as Error).message).toContain('no answer within 300 ms');
    } finally {
      ctx.cleanup();
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  test('a url whose host is not allowed is refused before any connection; the operator can allow it', async () => {
    const server = await startRemoteServer();
    try {
      const m = remoteManifest(server.url, { permissions: {} });
      const ctx = createTestContext(m);
      try {
        await expect(createRemoteDriver().instantiate(m, ctx)).rejects.toMatchObject({ code: 'PERMISSION_DENIED', plugin: 'remote-echo', data: { url: server.url } });
        expect(server.requests).toEqual([]);
        const allowed = await createRemoteDriver({ allowedHosts: { 'remote-echo': [`127.0.0.1:${server.port}`] } }).instantiate(m, ctx);
        await allowed.dispose();
      } finally {
        ctx.cleanup();
      }
    } finally {
      await server.close();
    }
  });
});

describe('the remote driver with a live server', () => {
  let server: RemoteServer;
  beforeEach(async () => {
    server = await startRemoteServer();
  });
  afterEach(() => server.close());

  test('operator headers reach the server on every request; dispose ends the session', async () => {
    const m = remoteManifest(server.url);
    const ctx = createTestContext(m);
    const instance = await createRemoteDriver({ headers: { 'remote-echo': { Authorization: 'Bearer s3cret-token' } } }).instantiate(m, ctx);
    try {
      await instance.callTool('echo', { a: 1 }, call);
      expect(server.requests.length).toBeGreaterThan(2);
      expect(server.requests.every((h) => h.authorization === 'Bearer s3cret-token')).toBe(true);
      expect(server.sessions()).toBe(1);
    } finally {
      await instance.dispose();
      ctx.cleanup();
    }
    expect(server.sessions()).toBe(0);
  });

  test('tools the server adds (tools/list_changed) are listed again and announced', async () => {
    const m = remoteManifest(server.url);
    const ctx = createTestContext(m);
    const instance = await createRemoteDriver().instantiate(m, ctx);
    try {
      const announced = new Promise<PluginDescription>((resolve) => instance.onDescriptionChange?.(resolve));
      await server.addTool('later');
      expect((await announced).tools.map((t) => t.name)).toContain('later');
      expect((await instance.callTool('later', {}, call)).structuredContent).toEqual({ tool: 'later' });
    } finally {
      await instance.dispose();
      ctx.cleanup();
    }
  });
});

describe('a remote plugin in a host, served again over MCP', () => {
  let server: RemoteServer;
  let host: PluginHost;
  let dataDir: string;
  beforeAll(async () => {
    server = await startRemoteServer();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-remote-host-'));
    host = createHost({ drivers: [createRemoteDriver()], hostVersion: '1.0.0', dataDir, restart: { initialDelayMs: 10 } });
    await host.load(remoteManifest(server.url));
  });
  afterAll(async () => {
    await host?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('an MCP client of serveMcp calls the remote tool through the host, whose argument checks apply', async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const serving = await serveMcp(host, { transport: serverSide });
    const client = new Client({ name: 'test', version: '1.0.0' });
    try {
      await client.connect(clientSide);
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['remote-echo__echo', 'remote-echo__sleep', 'remote-echo__spin', 'remote-echo__crash', 'remote-echo__steps']);
      expect((await client.callTool({ name: 'remote-echo__echo', arguments: { via: 'remote' } })).structuredContent).toEqual({ via: 'remote' });
      await expect(host.callTool('remote-echo', 'sleep', { ms: 1 }, { timeoutMs: 5000 })).resolves.toMatchObject({ structuredContent: { slept: 1 } });
    } finally {
      await client.close();
      await serving.close();
    }
  });

  test('a lost connection is a crash: the host reconnects with backoff and calls work again', async () => {
    const restarted = once(host, 'restart');
    await expect(host.callTool('remote-echo', 'crash', {})).rejects.toMatchObject({ code: 'CRASHED', plugin: 'remote-echo' });
    await restarted;
    expect((await host.callTool('remote-echo', 'echo', { back: true })).structuredContent).toEqual({ back: true });
  });
});

describe('host policies and hot reload for a remote plugin', () => {
  let server: RemoteServer;
  let root: string;
  let host: PluginHost;
  beforeAll(async () => {
    server = await startRemoteServer();
    root = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-remote-reload-'));
    host = createHost({ drivers: [createRemoteDriver()], hostVersion: '1.0.0', dataDir: path.join(root, 'data') });
  });
  afterAll(async () => {
    await host?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const writeManifest = (dir: string, version: string) => {
    mkdirSync(dir, { recursive: true });
    const { host: allowed } = new URL(server.url);
    const tools = [{ name: 'echo', description: `echo v${version}`, inputSchema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } } }];
    writeFileSync(path.join(dir, 'plugin.json5'), JSON.stringify({ name: 'far', version, sandbox: 'remote', url: server.url, tools, permissions: { network: { allowedHosts: [allowed] } } }));
  };

  test("the manifest's schema is checked before any request, and a manifest change reloads it", async () => {
    const plugins = path.join(root, 'plugins');
    writeManifest(path.join(plugins, 'far'), '1.0.0');
    await host.loadAll(plugins);
    const requestsBefore = server.requests.length;
    await expect(host.callTool('far', 'echo', { text: 7 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENTS' });
    expect(server.requests.length).toBe(requestsBefore);
    expect((await host.callTool('far', 'echo', { text: 'hi' })).structuredContent).toEqual({ text: 'hi' });

    const watcher = await host.watch([plugins], { debounceMs: 20 });
    try {
      const reloaded = once(host, 'reloaded');
      writeManifest(path.join(plugins, 'far'), '1.1.0');
      expect((await reloaded)[0]).toMatchObject({ plugin: 'far', from: '1.0.0', to: '1.1.0' });
      expect(host.get('far')?.tools[0]?.description).toBe('echo v1.1.0');
      expect((await host.callTool('far', 'echo', { text: 'again' })).structuredContent).toEqual({ text: 'again' });
    } finally {
      await watcher.close();
    }
  });
});
