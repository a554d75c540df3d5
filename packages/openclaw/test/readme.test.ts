import { cp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { codeBlock, createSnippetDir, REPO_ROOT, type SnippetDir, importedPackages, installedPackages } from '../../../scripts/readme-snippets.mjs';

const README = await readFile(new URL('../README.md', import.meta.url), 'utf8');
const install = codeBlock(README, { heading: 'Running OpenClaw plugins', lang: 'sh' }).trim();
const script = codeBlock(README, { heading: 'Running OpenClaw plugins', lang: 'ts' });

// What step 1's `npm install` puts in ./node_modules: the same published versions, which the
// workspace has as root devDependencies (copied, not linked: a plugin dir must not lead out of itself).
const PLUGINS = install.replace(/^npm install /, '').split(' ');

let project: SnippetDir;
beforeEach(async () => {
  expect(PLUGINS).toEqual(['@ollama/openclaw-web-search', '@happycastle/oh-my-openclaw']);
  expect(script.split('\n')[0]).toMatch(/^\/\/ host\.mjs — run with `node host\.mjs` after the installs above$/);
  project = await createSnippetDir('openclaw');
  for (const name of PLUGINS) {
    await cp(path.join(REPO_ROOT, 'node_modules', name), path.join(project.dir, 'node_modules', name), { recursive: true });
  }
  await project.write('host.mjs', script);
});
afterEach(() => project.dispose());

/** A stand-in for Ollama's web search API on the address the plugin hard-codes (127.0.0.1:11434). */
async function ollama(): Promise<{ server: Server; queries: unknown[] }> {
  const queries: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      queries.push({ url: req.url, body: JSON.parse(body) });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ results: [{ title: 'clawdesk', url: 'https://example.com/clawdesk', content: 'Sandboxed plugins' }] }));
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(11434, '127.0.0.1', resolve));
  return { server, queries };
}

describe("the README's host.mjs with the two OpenClaw plugins from npm, run as written", () => {
  test('calls the search tool through Ollama on 127.0.0.1:11434 and dispatches the hook in an { event, context } envelope', async () => {
    const { server, queries } = await ollama();
    try {
      const ran = await project.run(['host.mjs']);
      expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
      expect(queries).toEqual([{ url: '/api/experimental/web_search', body: { query: 'clawdesk', max_results: 5 } }]);
      expect(ran.stdout).toMatch(/^search: \{\n  type: 'text',\n  text: '1\. clawdesk\\n   https:\/\/example\.com\/clawdesk\\n   Sandboxed plugins'\n\}$/m);
      expect(ran.stdout).toMatch(/plugin: 'oh-my-openclaw',\n\s+ok: true,\n\s+value: \{\n\s+prependContext: '<anti-hallucination-guardrails>/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('without Ollama the search is the isError result its comment shows, and the rest still runs', async () => {
    const ran = await project.run(['host.mjs']);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ran.stdout).toMatch(/^search failed: \{ type: 'text', text: 'fetch failed' \}$/m);
    expect(ran.stdout).toContain("plugin: 'oh-my-openclaw'");
  });
});

test('every package the example imports is one its Install section installs', () => {
  const installed = installedPackages(codeBlock(README, { heading: 'Install', lang: 'sh' }));
  expect(importedPackages(script).filter((name) => !installed.includes(name))).toEqual([]);
});
