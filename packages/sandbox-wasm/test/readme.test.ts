import { readFileSync } from 'node:fs';
import path from 'node:path';
import { codeBlock, createSnippetDir, REPO_ROOT, type SnippetDir, importedPackages, installedPackages } from '../../../scripts/readme-snippets.mjs';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const host = codeBlock(README, { heading: 'Use', lang: 'ts', includes: '// host.mjs' });
const plugin = codeBlock(README, { heading: 'Use', lang: 'ts', includes: '// plugins/greeter/assembly/index.ts' });
const manifest = codeBlock(README, { heading: 'Use', lang: 'json5' });
const build = codeBlock(README, { heading: 'Use', lang: 'sh', includes: 'npx asc' }).trim().split('\n');

let project: SnippetDir;
beforeAll(async () => {
  project = await createSnippetDir('sandbox-wasm');
  expect(plugin.split('\n')[0]).toBe('// plugins/greeter/assembly/index.ts');
  expect(manifest.split('\n')[0]).toBe('// plugins/greeter/plugin.json5');
  await project.write('plugins/greeter/assembly/index.ts', plugin);
  await project.write('plugins/greeter/plugin.json5', manifest);
  await project.write('host.mjs', host);
  // The dev dependencies it installs are the workspace's (found up the tree): the same packages.
  expect(build[0]).toBe('npm install --save-dev @clawdesk/plugin-sdk @extism/as-pdk@1.0.0 assemblyscript');
  const [npx, asc, ...args] = build[1]!.split(' ');
  expect([npx, asc]).toEqual(['npx', 'asc']);
  const built = await project.run([path.join(REPO_ROOT, 'node_modules/assemblyscript/bin/asc.js'), ...args], {
    cwd: path.join(project.dir, 'plugins/greeter'),
  });
  expect({ code: built.code, stderr: built.stderr }).toEqual({ code: 0, stderr: '' });
}, 120_000);
afterAll(() => project?.dispose());

describe('the README example, built with its own command and run as written', () => {
  test('host.mjs loads the AssemblyScript greeter and prints the structuredContent its comment shows', async () => {
    const ran = await project.run(['host.mjs']);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ran.stdout).toContain("structuredContent: { greeting: 'hello Ada' }");
  });

  test("the plugin's fail() is an isError result, as its comment says", async () => {
    await project.write('host-empty.mjs', host.replace("{ name: 'Ada' }", "{ name: '' }"));
    const ran = await project.run(['host-empty.mjs']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('isError: true');
    expect(ran.stdout).toContain('greet needs a name');
  });
});

test('every package the example imports is one its Install section installs', () => {
  const installed = installedPackages(codeBlock(README, { heading: 'Install', lang: 'sh' }));
  expect(importedPackages(host).filter((name) => !installed.includes(name))).toEqual([]);
});

test("what the AssemblyScript plugin imports is in the plugin's own install line", () => {
  expect(importedPackages(plugin).filter((name) => !installedPackages(build.join('\n')).includes(name))).toEqual([]);
});
