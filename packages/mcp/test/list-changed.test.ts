import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, type PluginHost } from '@clawdesk/host';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { serveMcp, type McpServing } from '../src/index.js';

const GROWING = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/growing');

describe('an MCP server plugin adding tools while running', () => {
  let dir: string;
  let host: PluginHost;
  let serving: McpServing;
  let client: Client;
  const notified: number[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-mcp-grow-'));
    host = createHost({ drivers: [createProcessDriver()], hostVersion: '1.0.0', dataDir: dir });
    await host.load(GROWING);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    serving = await serveMcp(host, { transport: serverSide });
    client = new Client({ name: 'test', version: '1.0.0' });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void notified.push(Date.now()));
    await client.connect(clientSide);
  });
  afterAll(async () => {
    await client?.close();
    await serving?.close();
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Resolves on the next tools/list_changed the client receives. */
  const nextListChanged = () => {
    const seen = notified.length;
    return new Promise<void>((resolve) => {
      const check = () => (notified.length > seen ? resolve() : setImmediate(check));
      check();
    });
  };

  test('the host lists the server again, updates its registry, and clawdesk\'s MCP clients get list_changed', async () => {
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['growing__grow']);

    const changed = nextListChanged();
    const grown = await client.callTool({ name: 'growing__grow', arguments: {} });
    expect(grown.content).toEqual([{ type: 'text', text: 'added added_1' }]);
    await changed;

    expect(host.get('growing')?.tools.map((t) => t.name)).toEqual(['grow', 'added_1']);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['growing__grow', 'growing__added_1']);
    expect((await client.callTool({ name: 'growing__added_1', arguments: {} })).content).toEqual([{ type: 'text', text: 'I am added_1' }]);
    // And straight through the host, as any other tool.
    expect((await host.callTool('growing', 'added_1', {})).content).toEqual([{ type: 'text', text: 'I am added_1' }]);
  });

  test('a second addition arrives the same way', async () => {
    const changed = nextListChanged();
    await client.callTool({ name: 'growing__grow', arguments: {} });
    await changed;
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['growing__grow', 'growing__added_1', 'growing__added_2']);
  });
});
