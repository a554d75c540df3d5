import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { serveMcp, type McpServing } from '../src/index.js';
import { eventually, exampleHost, type TestHost } from './support.js';

let t: TestHost;
let serving: McpServing;

beforeAll(async () => {
  t = await exampleHost();
  serving = await serveMcp(t.host, { transport: { http: { port: 0 } } });
});
afterAll(async () => {
  await serving?.close();
  await t?.cleanup();
});

async function connect(url = serving.url!): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

describe('serveMcp over Streamable HTTP', () => {
  test('listens on 127.0.0.1 on the port the system picked, at /mcp', () => {
    expect(serving.url).toBe(`http://127.0.0.1:${serving.port}/mcp`);
    expect(serving.port).toBeGreaterThan(0);
  });

  test('an SDK client lists every active plugin tool as <plugin>__<tool>, schemas included', async () => {
    const client = await connect();
    try {
      const { tools } = await client.listTools();
      expect(tools.map((x) => x.name).sort()).toEqual(
        [
          'native-echo__crash', 'native-echo__echo', 'native-echo__sleep', 'native-echo__spin',
          'process-echo__crash', 'process-echo__echo', 'process-echo__sleep', 'process-echo__spin',
          'waiter__wait', 'weather-wasm__forecast', 'weather-wasm__radar',
        ].sort(),
      );
      expect(tools.find((x) => x.name === 'weather-wasm__forecast')).toMatchObject({
        description: 'Forecast for a city over 1-7 days',
        inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      });
      expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
    } finally {
      await client.close();
    }
  });

  test('calls a native, a process and a wasm tool', async () => {
    const client = await connect();
    try {
      const native = await client.callTool({ name: 'native-echo__echo', arguments: { hi: 1 } });
      expect(native.structuredContent).toEqual({ hi: 1 });
      const proc = await client.callTool({ name: 'process-echo__echo', arguments: { via: 'process' } });
      expect(JSON.parse((proc.content as { text: string }[])[0]!.text)).toEqual({ via: 'process' });
      const wasm = await client.callTool({ name: 'weather-wasm__forecast', arguments: { city: 'Oslo', days: 2 } });
      expect(wasm.isError).toBeFalsy();
      expect(JSON.stringify(wasm.content)).toContain('Oslo');
    } finally {
      await client.close();
    }
  });

  test('a tool failure stays an isError result; bad arguments are an isError result naming the problem', async () => {
    const client = await connect();
    try {
      const failed = await client.callTool({ name: 'native-echo__crash', arguments: {} });
      expect(failed.isError).toBe(true);
      const invalid = await client.callTool({ name: 'weather-wasm__forecast', arguments: { days: 2 } });
      expect(invalid.isError).toBe(true);
      expect((invalid.content as { text: string }[])[0]!.text).toBe(
        'INVALID_ARGUMENTS: invalid arguments for plugin "weather-wasm", tool "forecast": city: must have required property \'city\'',
      );
      expect(invalid._meta).toEqual({
        'clawdesk/error': { code: 'INVALID_ARGUMENTS', problems: [{ path: 'city', message: "must have required property 'city'" }] },
      });
    } finally {
      await client.close();
    }
  });

  test('an unknown tool is a JSON-RPC invalid-params error', async () => {
    const client = await connect();
    try {
      await expect(client.callTool({ name: 'nope__nothing', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    } finally {
      await client.close();
    }
  });

  test("the client's cancellation aborts the host call's signal", async () => {
    const client = await connect();
    const controller = new AbortController();
    try {
      const call = client.callTool({ name: 'waiter__wait', arguments: {} }, undefined, { signal: controller.signal });
      // Let the request reach the plugin before cancelling it.
      await new Promise((r) => setTimeout(r, 50));
      controller.abort(new Error('user pressed stop'));
      await expect(call).rejects.toThrow();
      const marker = path.join(t.dir, 'aborted');
      await eventually(() => existsSync(marker), 'the plugin saw its signal abort');
      expect(readFileSync(marker, 'utf8')).toBe('CANCELLED');
    } finally {
      await client.close();
    }
  });

  test('a reload and an unload reach the client as tools/list_changed, and the list follows', async () => {
    const client = await connect();
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes += 1;
    });
    try {
      await t.host.reload('native-echo');
      await eventually(() => changes === 1, 'list_changed after reload');
      await t.host.unload('waiter');
      await eventually(() => changes === 2, 'list_changed after unload');
      const { tools } = await client.listTools();
      expect(tools.some((x) => x.name === 'waiter__wait')).toBe(false);
      expect(tools.some((x) => x.name === 'native-echo__echo')).toBe(true);
    } finally {
      await client.close();
    }
  });
});
