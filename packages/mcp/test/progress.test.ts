import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, type PluginHost } from '@clawdesk/host';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { createRemoteDriver, serveMcp, type McpServing } from '../src/index.js';
import { remoteManifest, startRemoteServer, type RemoteServer } from './remote-server.js';

const PROGRESS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/progress');
const steps = (n: number) => [1, 2, 3].slice(0, n).map((i) => ({ progress: i, total: n, message: `step ${i}` }));

// Progress reports of a process plugin and of a remote MCP server reach an MCP client of serveMcp
// that asked for them (a progressToken), and only that client's call.
describe('notifications/progress through the host', () => {
  let dir: string;
  let remote: RemoteServer;
  let host: PluginHost;
  let serving: McpServing;
  let client: Client;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-progress-'));
    remote = await startRemoteServer();
    host = createHost({ drivers: [createProcessDriver(), createRemoteDriver()], hostVersion: '1.0.0', dataDir: dir });
    await host.load(PROGRESS);
    await host.load(remoteManifest(remote.url));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    serving = await serveMcp(host, { transport: serverSide });
    client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(clientSide);
  });
  afterAll(async () => {
    await client?.close();
    await serving?.close();
    await host?.close();
    await remote?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test.each([
    ['a process plugin', 'progress__steps'],
    ['a remote MCP server', 'remote-echo__steps'],
  ])('%s: the client gets every report, in order; reports for other tokens or without a number are dropped', async (_kind, tool) => {
    const seen: Progress[] = [];
    const result = await client.callTool({ name: tool, arguments: { n: 3 } }, undefined, { onprogress: (p) => void seen.push(p) });
    expect(result.structuredContent).toEqual({ steps: 3, sawToken: true });
    expect(seen).toEqual(steps(3));
  });

  test.each([['progress__steps'], ['remote-echo__steps']])('%s without onprogress: no token is sent, so the plugin reports nothing', async (tool) => {
    expect((await client.callTool({ name: tool, arguments: { n: 2 } })).structuredContent).toEqual({ steps: 2, sawToken: false });
  });

  test('host.callTool with onProgress, without MCP in front', async () => {
    const seen: unknown[] = [];
    await host.callTool('progress', 'steps', { n: 2 }, { onProgress: (p) => seen.push(p) });
    expect(seen).toEqual(steps(2));
  });
});
