import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { codeBlock, createSnippetDir, REPO_ROOT, type SnippetDir, importedPackages, installedPackages } from '../../../scripts/readme-snippets.mjs';
import { startRemoteServer } from './remote-server.js';

const README = await readFile(new URL('../README.md', import.meta.url), 'utf8');
const serve = codeBlock(README, { heading: 'Serving a host', lang: 'ts' });
const remote = codeBlock(README, { heading: 'Remote plugins', lang: 'ts' });
const remoteManifest = codeBlock(README, { heading: 'Remote plugins', lang: 'json5' });

let project: SnippetDir;
beforeEach(async () => {
  project = await createSnippetDir('mcp');
});
afterEach(() => project.dispose());

/** ./plugins with a native, a process and a wasm example, and one whose manifest is broken. */
async function plugins(): Promise<void> {
  for (const name of ['native-echo', 'process-echo', 'weather-wasm']) {
    await cp(path.join(REPO_ROOT, 'examples', name), path.join(project.dir, 'plugins', name), { recursive: true });
  }
  await project.write('plugins/broken/plugin.json5', "{ name: 'broken', version: 'one' }");
}

describe("the README's serve.mjs, run as written", () => {
  test('an MCP client starts it over stdio and calls a process and a wasm tool; the broken plugin is reported on stderr', async () => {
    expect(serve.split('\n')[0]).toBe("// serve.mjs — an MCP client starts `node serve.mjs` (stdio); `node serve.mjs http` listens instead");
    await plugins();
    await project.write('serve.mjs', serve);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['serve.mjs'],
      cwd: project.dir,
      env: { PATH: process.env.PATH ?? '', FORCE_COLOR: '0' },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'readme', version: '1.0.0' });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['native-echo__echo', 'process-echo__echo', 'weather-wasm__forecast']));
      const echoed = await client.callTool({ name: 'process-echo__echo', arguments: { b: 2 } });
      expect(JSON.parse((echoed.content as { text: string }[])[0]!.text)).toEqual({ b: 2 });
      const forecast = await client.callTool({ name: 'weather-wasm__forecast', arguments: { city: 'Lima' } });
      expect(JSON.stringify(forecast.content)).toContain('Lima');
      expect(stderr).toContain('broken: ');
      expect(stderr).toContain('version: must be a semver version like "1.2.3", got "one"');
    } finally {
      await client.close();
    }
  });

  test('`node serve.mjs http` prints its url on stderr and serves the same tools there', async () => {
    await plugins();
    await project.write('serve.mjs', serve);
    const running = project.start(['serve.mjs', 'http']);
    try {
      const [, url] = await running.waitFor(/^listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)$/m, 'stderr');
      const client = new Client({ name: 'readme', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url!)));
      try {
        const called = await client.callTool({ name: 'native-echo__echo', arguments: { a: 1 } });
        expect(called.structuredContent).toEqual({ a: 1 });
      } finally {
        await client.close();
      }
    } finally {
      running.child.kill('SIGTERM');
      await running.exited;
    }
  });
});

test("the README's remote.mjs loads the search plugin and lists its tools, with a local MCP server standing in for the manifest's url", async () => {
  const server = await startRemoteServer();
  try {
    expect(remoteManifest.split('\n')[0]).toBe('// plugins/search/plugin.json5');
    // The one change: the network service the README's comment says it needs is this local one.
    const local = remoteManifest
      .replace("url: 'https://tools.example.com/mcp'", `url: '${server.url}'`)
      .replace("allowedHosts: ['tools.example.com']", `allowedHosts: ['127.0.0.1:${server.port}']`);
    expect(local).not.toBe(remoteManifest);
    expect(local).not.toContain('tools.example.com');
    await project.write('plugins/search/plugin.json5', local);
    await project.write('remote.mjs', remote);
    const ran = await project.run(['remote.mjs'], { env: { SEARCH_TOKEN: 'secret' } });
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ran.stdout).toContain("'echo'");
    // The driver's headers option reached the server.
    expect(server.requests.some((h) => h.authorization === 'Bearer secret')).toBe(true);
  } finally {
    await server.close();
  }
});

test('every package the example imports is one its Install section installs', () => {
  const installed = installedPackages(codeBlock(README, { heading: 'Install', lang: 'sh' }));
  expect(importedPackages(serve + remote).filter((name) => !installed.includes(name))).toEqual([]);
});
