import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validateManifest } from '@clawdesk/manifest';
import { resultValue } from '@clawdesk/sandbox';
import { createTestContext } from '@clawdesk/sandbox/conformance';
import { createProcessDriver } from '../src/driver.js';
import { opts, REPO_ROOT, settle } from './support/plugins.js';

// An unmodified MCP stdio server, installed as a root devDependency, run as a clawdesk process plugin.
const SERVER_DIR = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-memory');
const ENTRY = './dist/index.js';

const manifest = () =>
  validateManifest(
    {
      name: 'memory',
      version: '0.0.0',
      description: 'The MCP reference knowledge-graph server',
      author: 'modelcontextprotocol',
      runtime: 'node',
      sandbox: 'process',
      entry: ENTRY,
      capabilities: ['tool_call'],
      // No tools listed: they come from tools/list. MEMORY_FILE_PATH tells it where to keep its graph.
      permissions: { env: ['MEMORY_FILE_PATH'] },
    },
    { file: path.join(SERVER_DIR, 'plugin.json5'), format: 'json5', dir: SERVER_DIR },
  );

describe('an MCP server is a process plugin without changes', () => {
  const previous = process.env.MEMORY_FILE_PATH;
  afterEach(() => {
    if (previous === undefined) delete process.env.MEMORY_FILE_PATH;
    else process.env.MEMORY_FILE_PATH = previous;
  });

  test('@modelcontextprotocol/server-memory is installed where this test expects it', () => {
    expect(existsSync(path.join(SERVER_DIR, ENTRY))).toBe(true);
  });

  test('@modelcontextprotocol/server-memory loads, lists its tools, and stores and reads a graph in its data dir', async () => {
    const m = manifest();
    const ctx = createTestContext(m);
    const file = path.join(ctx.dataDir, 'memory.jsonl');
    // Declared in permissions.env, so the driver passes it through from the host's environment.
    process.env.MEMORY_FILE_PATH = file;
    try {
      const instance = await createProcessDriver().instantiate(m, ctx);
      try {
        const { tools } = await instance.describe();
        expect(tools.map((t) => t.name)).toEqual(
          expect.arrayContaining(['create_entities', 'create_relations', 'add_observations', 'read_graph', 'search_nodes', 'open_nodes']),
        );
        expect(tools.find((t) => t.name === 'create_entities')?.inputSchema).toMatchObject({ type: 'object' });

        const entity = { name: 'clawdesk', entityType: 'project', observations: ['runs plugins in sandboxes'] };
        const created = await instance.callTool('create_entities', { entities: [entity] }, opts());
        expect(created.isError).toBeFalsy();
        const graph = resultValue(await instance.callTool('read_graph', {}, opts())) as { entities: unknown[] };
        expect(graph.entities).toEqual([entity]);
        expect(readFileSync(file, 'utf8')).toContain('runs plugins in sandboxes');

        // It knows nothing of clawdesk hooks: a clean, typed refusal.
        const hook = (await settle(instance.dispatch('on_message', {}, opts()))) as { error: any };
        expect(hook.error).toMatchObject({ code: 'TOOL_ERROR', data: { hook: 'on_message', rpcCode: -32601 } });
      } finally {
        await instance.dispose();
      }
    } finally {
      ctx.cleanup();
    }
  });
});
