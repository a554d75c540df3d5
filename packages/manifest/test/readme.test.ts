import { readFileSync } from 'node:fs';
import { codeBlock, createSnippetDir, type SnippetDir, importedPackages, installedPackages } from '../../../scripts/readme-snippets.mjs';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const script = codeBlock(README, { heading: 'Example', lang: 'ts' });
const weather = codeBlock(README, { heading: 'Example', lang: 'json5' });
// A second plugin with two mistakes, to see the example report problems instead of stopping.
const BROKEN = "{ name: 'broken', version: 'one', runtime: 'python' }";

let project: SnippetDir;
beforeEach(async () => {
  project = await createSnippetDir('manifest');
  expect(script.split('\n')[0]).toMatch(/^\/\/ manifests\.mjs — run with `node manifests\.mjs`/);
  expect(weather.split('\n')[0]).toBe('// plugins/weather/plugin.json5');
  await project.write('manifests.mjs', script);
  await project.write('plugins/broken/plugin.json5', BROKEN);
});
afterEach(() => project.dispose());

describe('the README example, run as written', () => {
  test('scans ./plugins, reports the broken plugin with every problem, and prints the weather manifest back', async () => {
    await project.write('plugins/weather/plugin.json5', weather);
    const ran = await project.run(['manifests.mjs']);
    expect(ran.code).toBe(0);
    expect(ran.stderr).toBe(
      `MANIFEST_INVALID: Invalid plugin manifest ${project.dir}/plugins/broken/plugin.json5 (2 problems):\n` +
        '  - version: must be a semver version like "1.2.3", got "one"\n' +
        '  - runtime: expected one of "node", "bun", "deno", "wasm"; got string "python"\n',
    );
    const [scanned, tools, ...document] = ran.stdout.split('\n');
    expect(scanned).toBe('weather@1.0.0: wasm in the wasm sandbox, entry ./weather.wasm');
    expect(tools).toBe("[ 'forecast' ] []");
    expect(JSON.parse(document.join('\n'))).toMatchObject({
      name: 'weather',
      runtime: 'wasm',
      entry: './weather.wasm',
      tools: [{ name: 'forecast', description: 'Forecast for a city', inputSchema: { type: 'object' } }],
      permissions: { network: { allowedHosts: ['api.weather.example'] }, memoryMb: 128 },
    });
  });

  test('a broken ./plugins/weather lands in its catch: each problem printed with the file and field path', async () => {
    await project.write('plugins/weather/plugin.json5', weather.replace('runtime: "wasm"', 'runtime: "wasm", timeoutMs: 0'));
    const ran = await project.run(['manifests.mjs']);
    expect(ran).toMatchObject({ code: 0, stdout: '' });
    expect(ran.stderr.split('\n')).toContain(`${project.dir}/plugins/weather/plugin.json5: timeoutMs: must be greater than 0, got number 0`);
  });
});

test('every package the example imports is one its Install section installs', () => {
  const installed = installedPackages(codeBlock(README, { heading: 'Install', lang: 'sh' }));
  expect(importedPackages(script).filter((name) => !installed.includes(name))).toEqual([]);
});
