import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { writeTree } from '../helpers.js';

// Jest keeps its own module registry, so re-importing code is checked in a plain Node process
// running the built package, exactly as an app would.
const dist = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;

const manifestOf = (name: string, entry: string) =>
  `{ name: '${name}', version: '1.0.0', description: 'd', author: 'a', sandbox: 'native', entry: '${entry}' }`;

const script = `
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHost, createNativeDriver } from ${JSON.stringify(dist)};
const root = process.argv[2];
const host = createHost({ drivers: [createNativeDriver()], hostVersion: '1.0.0', dataDir: path.join(root, 'data'), pluginDirs: [path.join(root, 'plugins')] });
const ask = async () => Promise.all(['esm.v', 'cjs.v', 'detected.v'].map(async (t) => (await host.call(t)).structuredContent));
await host.loadAll();
const before = await ask();
writeFileSync(path.join(root, 'plugins/esm/index.mjs'), "let n = 0; export default { tools: { v: { description: 'v', run: () => 'esm v2 #' + ++n } } };");
writeFileSync(path.join(root, 'plugins/cjs/helper.cjs'), "module.exports = () => 'cjs helper v2';");
writeFileSync(path.join(root, 'plugins/detected/index.js'), "export default { tools: { v: { description: 'v', run: () => 'detected v2' } } };");
await host.reload('esm');
await host.reload('cjs');
await host.reload('detected');
const after = await ask();
await host.stop('esm');
await host.start('esm');
const fresh = await ask();
await host.close();
process.stdout.write(JSON.stringify({ before, after, fresh }));
`;

test('reload re-imports changed ESM, CommonJS and syntax-detected code in a real Node process, and a restart starts with fresh module state', async () => {
  const root = writeTree({
    'plugins/esm/plugin.json5': manifestOf('esm', './index.mjs'),
    'plugins/esm/index.mjs': "let n = 0; export default { tools: { v: { description: 'v', run: () => 'esm v1 #' + ++n } } };",
    'plugins/cjs/plugin.json5': manifestOf('cjs', './index.cjs'),
    'plugins/cjs/index.cjs': "const helper = require('./helper.cjs'); module.exports = { tools: { v: { description: 'v', run: () => helper() } } };",
    'plugins/cjs/helper.cjs': "module.exports = () => 'cjs helper v1';",
    // ESM syntax in a .js file with no package.json "type": Node detects it as a module.
    'plugins/detected/plugin.json5': manifestOf('detected', './index.js'),
    'plugins/detected/index.js': "export default { tools: { v: { description: 'v', run: () => 'detected v1' } } };",
    'check.mjs': script,
  });
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'check.mjs'), root], {
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      timeout: 20_000,
    });
    expect(JSON.parse(stdout)).toEqual({
      before: ['esm v1 #1', 'cjs helper v1', 'detected v1'],
      after: ['esm v2 #1', 'cjs helper v2', 'detected v2'],
      fresh: ['esm v2 #1', 'cjs helper v2', 'detected v2'],
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
