import { readFileSync } from 'node:fs';
import { codeBlock, createSnippetDir, importedPackages, installedPackages } from '../../../scripts/readme-snippets.mjs';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('the README example runs as written against the two manifests it shows, and prints what its comments say', async () => {
  const manifest = codeBlock(README, { heading: 'Example', lang: 'json5' });
  const script = codeBlock(README, { heading: 'Example', lang: 'ts' });
  expect(script.split('\n')[0]).toBe('// registry.mjs — run with `node registry.mjs`');
  const project = await createSnippetDir('registry');
  try {
    await project.write('plugins/web/plugin.json5', manifest);
    // "the same with name: 'docs'"
    await project.write('plugins/docs/plugin.json5', manifest.replace("name: 'web'", "name: 'docs'"));
    await project.write('registry.mjs', script);
    const ran = await project.run(['registry.mjs']);
    expect(ran).toMatchObject({ code: 0, stderr: 'docs: "search" is offered by web.search, docs.search\n' });
    expect(ran.stdout).toBe("web: resolved → loaded\nweb\nAMBIGUOUS_TOOL [ 'web.search', 'docs.search' ]\n");
  } finally {
    await project.dispose();
  }
});

test('every package the example imports is one its Install section installs', () => {
  const installed = installedPackages(codeBlock(README, { heading: 'Install', lang: 'sh' }));
  expect(importedPackages(codeBlock(README, { heading: 'Example', lang: 'ts' })).filter((name) => !installed.includes(name))).toEqual([]);
});
