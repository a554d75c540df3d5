import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createFreshProject, type FreshProject } from '../src/fresh-project.js';

// A host app with one driver installs what it needs only: @clawdesk/host and @clawdesk/sandbox-process
// (and the contract packages they depend on), without npm's fetcher, which only host.install uses.

let project: FreshProject;

beforeAll(async () => {
  project = await createFreshProject('host-only');
  await project.install(['@clawdesk/host', '@clawdesk/sandbox-process', '@clawdesk/manifest', '@clawdesk/sandbox', '@clawdesk/registry']);
}, 300_000);

afterAll(async () => {
  await project?.dispose();
});

describe('a host app with only the process driver', () => {
  test('does not install pacote (nor any @npmcli package), and still loads and calls a plugin', async () => {
    const installed = await readdir(path.join(project.dir, 'node_modules'));
    expect(installed).not.toContain('pacote');
    expect(installed).not.toContain('@npmcli');
    const plugin = path.join(project.dir, 'plugins', 'echo');
    await mkdir(plugin, { recursive: true });
    await writeFile(
      path.join(plugin, 'plugin.json5'),
      `{ name: 'echo', version: '1.0.0', description: 'echo', author: 'a', runtime: 'node', sandbox: 'native',
         entry: './index.mjs', capabilities: ['tool_call'], tools: [{ name: 'echo', description: 'echo' }] }`,
    );
    await writeFile(path.join(plugin, 'index.mjs'), `export default { tools: { echo: { description: 'echo', run: (a) => a } } };\n`);
    await writeFile(
      path.join(project.dir, 'app.mjs'),
      `import { createHost, createNativeDriver } from '@clawdesk/host';
import { createProcessDriver } from '@clawdesk/sandbox-process';
const host = createHost({ drivers: [createProcessDriver(), createNativeDriver()], hostVersion: '1.0.0', dataDir: './.clawdesk', logger: { debug() {}, info() {}, warn() {}, error() {} } });
const { problems } = await host.loadAll('./plugins');
const echoed = await host.callTool('echo', 'echo', { hi: 1 });
const install = await host.install('file:./nothing.tgz', { dir: './installed' }).then(() => 'installed', (e) => ({ code: e.code, message: e.message }));
console.log(JSON.stringify({ problems: problems.length, echoed: echoed.structuredContent, install }));
await host.close();
`,
    );
    const ran = await project.runOrThrow('node', ['app.mjs']);
    expect(JSON.parse(ran.stdout)).toEqual({
      problems: 0,
      echoed: { hi: 1 },
      install: {
        code: 'INSTALL_UNAVAILABLE',
        message:
          'cannot install file:./nothing.tgz: host.install needs pacote, an optional peer dependency of @clawdesk/host that is not installed; add it with `npm install pacote@^22.0.0`',
      },
    });
  });
});
