import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/serve-stdio.mjs');

describe('serveMcp over stdio', () => {
  test('an SDK client spawns the server, lists tools and calls a native, a process and a wasm tool', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-mcp-stdio-'));
    const client = new Client({ name: 'test', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [FIXTURE, dataDir],
      env: { PATH: process.env.PATH ?? '', FORCE_COLOR: '0' },
      stderr: 'pipe',
    });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()).toEqual({ name: 'clawdesk', version: '0.0.0' });
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['native-echo__echo', 'process-echo__echo', 'weather-wasm__forecast']));
      expect((await client.callTool({ name: 'native-echo__echo', arguments: { a: 1 } })).structuredContent).toEqual({ a: 1 });
      const proc = await client.callTool({ name: 'process-echo__echo', arguments: { b: 2 } });
      expect(JSON.parse((proc.content as { text: string }[])[0]!.text)).toEqual({ b: 2 });
      const wasm = await client.callTool({ name: 'weather-wasm__forecast', arguments: { city: 'Lima' } });
      expect(wasm.isError).toBeFalsy();
      expect(JSON.stringify(wasm.content)).toContain('Lima');
    } finally {
      await client.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
