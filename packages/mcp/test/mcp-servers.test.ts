import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, type PluginHost } from '@clawdesk/host';
import { mcpServerManifest } from '@clawdesk/manifest';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { serveMcp, type McpServing } from '../src/index.js';

const FILESYSTEM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../node_modules/@modelcontextprotocol/server-filesystem');
const text = (r: object) => (((r as { content?: unknown }).content ?? []) as { text?: string }[]).map((c) => c.text ?? '').join('\n');

// The unmodified reference filesystem server, loaded from its package (no plugin.json5), given a
// directory by the operator, served again over MCP: what an agent sees through clawdesk.
describe('@modelcontextprotocol/server-filesystem behind clawdesk serve', () => {
  let root: string;
  let shared: string;
  let host: PluginHost;
  let serving: McpServing;
  let client: Client;
  beforeAll(async () => {
    root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'clawdesk-fs-served-')));
    shared = path.join(root, 'shared');
    mkdirSync(path.join(shared, 'notes'), { recursive: true });
    writeFileSync(path.join(shared, 'hello.txt'), 'hello from the shared dir\n');
    writeFileSync(path.join(root, 'secret.txt'), 'not for the server\n');
    host = createHost({
      drivers: [createProcessDriver({ permissions: { files: { fs: { read: [shared] } } } })],
      hostVersion: '1.0.0',
      dataDir: path.join(root, 'data'),
    });
    // No args: the server asks roots/list, and the host answers with the granted directory.
    await host.load(await mcpServerManifest(FILESYSTEM, { name: 'files' }));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    serving = await serveMcp(host, { transport: serverSide });
    client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(clientSide);
  });
  afterAll(async () => {
    await client?.close();
    await serving?.close();
    await host?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('lists and reads the granted directory, and is refused outside it', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['files__list_directory', 'files__read_text_file', 'files__list_allowed_directories']));
    // The server takes its roots after the handshake; ask until it has them.
    let allowed = '';
    for (let i = 0; i < 200 && !allowed.includes(shared); i++) {
      allowed = text(await client.callTool({ name: 'files__list_allowed_directories', arguments: {} }));
      if (!allowed.includes(shared)) await new Promise((r) => setTimeout(r, 10));
    }
    expect(allowed).toContain(shared);
    const listing = text(await client.callTool({ name: 'files__list_directory', arguments: { path: shared } }));
    expect(listing).toContain('[FILE] hello.txt');
    expect(listing).toContain('[DIR] notes');
    expect(text(await client.callTool({ name: 'files__read_text_file', arguments: { path: path.join(shared, 'hello.txt') } }))).toBe('hello from the shared dir\n');
    const refused = await client.callTool({ name: 'files__read_text_file', arguments: { path: path.join(root, 'secret.txt') } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/Access denied/);
    expect(text(refused)).not.toContain('not for the server');
  });
});
