import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createFreshProject, type FreshProject } from '../src/fresh-project.js';
import type { RunResult } from '../src/run.js';
import { repoRoot } from '../src/workspace.js';

// What a new user does, from the packed tarballs in an empty directory outside the workspace: install
// the packages with npm (third-party dependencies come from the npm registry), then use `npx clawdesk`.

let project: FreshProject;

beforeAll(async () => {
  project = await createFreshProject('fresh-install');
  // No package.json yet: `npm install` writes one, as in a directory a user just made.
  await project.install([...project.tarballs.keys()]);
}, 300_000);

afterAll(async () => {
  await project?.dispose();
});

const ok = (r: RunResult) => {
  if (r.code !== 0) throw new Error(`exit code ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
};
const clawdesk = (args: string[], cwd?: string) => project.run('npx', ['clawdesk', ...args], cwd);

describe('the packed packages installed in a fresh project', () => {
  test('`npx clawdesk` is the installed @clawdesk/cli, and --help lists every command', async () => {
    const bin = await realpath(path.join(project.dir, 'node_modules/.bin/clawdesk'));
    expect(bin).toBe(path.join(project.dir, 'node_modules/@clawdesk/cli/dist/bin.js'));
    const help = ok(await clawdesk(['--help'])).stdout;
    expect(help).toContain('Usage: clawdesk <command> [options]');
    for (const command of ['list', 'validate', 'inspect', 'call', 'watch', 'dev', 'serve', 'install', 'init', 'bench']) {
      expect(help).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    // The scoped name works too: what the READMEs tell users to type.
    expect(ok(await project.run('npx', ['@clawdesk/cli', '--help'])).stdout).toBe(help);
  });

  test('`clawdesk init my-plugin` scaffolds a plugin that validates, lists, inspects and answers `call`', async () => {
    ok(await clawdesk(['init', 'my-plugin']));
    const valid = JSON.parse(ok(await clawdesk(['validate', 'my-plugin', '--json'])).stdout);
    expect(valid).toMatchObject({ valid: true, name: 'my-plugin', version: '0.1.0', warnings: [] });
    const listed = JSON.parse(ok(await clawdesk(['list', '.', '--json'])).stdout);
    expect(JSON.stringify(listed)).toContain('"my-plugin"');
    const inspected = ok(await clawdesk(['inspect', './my-plugin'])).stdout;
    expect(inspected).toMatch(/^my-plugin@0\.1\.0/m);
    expect(inspected).toContain('greet');
    const called = ok(await clawdesk(['call', './my-plugin', 'greet', '{"name":"Ada"}']));
    expect(JSON.parse(called.stdout)).toEqual({ greeting: 'Hello, Ada.' });
    const refused = await clawdesk(['call', './my-plugin', 'greet', '{"name":""}', '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: 'INVALID_ARGUMENTS', plugin: 'my-plugin', tool: 'greet' });
  });

  test('`clawdesk serve` serves the scaffolded plugin over stdio to an MCP SDK client (the SDK @clawdesk/mcp installed)', async () => {
    const client = path.join(project.dir, 'mcp-client.mjs');
    await writeFile(
      client,
      [
        "import { Client } from '@modelcontextprotocol/sdk/client/index.js';",
        "import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';",
        "const client = new Client({ name: 'fresh-install', version: '1.0.0' });",
        "await client.connect(new StdioClientTransport({ command: 'node_modules/.bin/clawdesk', args: ['serve', './my-plugin'] }));",
        'const { tools } = await client.listTools();',
        "const result = await client.callTool({ name: 'my-plugin__greet', arguments: { name: 'Ada' } });",
        'console.log(JSON.stringify({ tools: tools.map((t) => t.name), result }));',
        'await client.close();',
      ].join('\n'),
    );
    const served = JSON.parse(ok(await project.run('node', [client])).stdout);
    expect(served.tools).toEqual(['my-plugin__greet']);
    expect(served.result.isError).toBeFalsy();
    expect(JSON.stringify(served.result.content)).toContain('Hello, Ada.');
  });

  test("the scaffold's own next steps work: npm install in it, then its test on @clawdesk/testing and `npx clawdesk call .`", async () => {
    const dir = path.join(project.dir, 'next-steps');
    await mkdir(dir);
    ok(await clawdesk(['init', 'greeter'], dir));
    const plugin = path.join(dir, 'greeter');
    // `npm install` as "Next:" says, with the unpublished @clawdesk packages from their tarballs.
    await project.install(['@clawdesk/plugin-sdk', '@clawdesk/testing', '@clawdesk/cli', ...project.tarballs.keys()], plugin);
    const tested = ok(await project.run('npm', ['test'], plugin));
    expect(tested.stdout).toMatch(/\bpass 3\n.*\bfail 0\n/);
    const called = ok(await project.run('npx', ['clawdesk', 'call', '.', 'greet', '{"name":"Ada","excited":true}'], plugin));
    expect(JSON.parse(called.stdout)).toEqual({ greeting: 'Hello, Ada!' });
  });

  test('a wasm scaffold builds with one `npm run build` against the packed plugin-sdk (AssemblyScript from node_modules), answers and passes its test', async () => {
    const dir = path.join(project.dir, 'wasm-steps');
    await mkdir(dir);
    ok(await clawdesk(['init', 'greeter-wasm', '--runtime', 'wasm'], dir));
    const plugin = path.join(dir, 'greeter-wasm');
    const pkg = JSON.parse(await readFile(path.join(plugin, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    // Its own devDependencies: the unpublished @clawdesk ones from their tarballs, the rest from the registry.
    const thirdParty = Object.entries(pkg.devDependencies).filter(([name]) => !name.startsWith('@clawdesk/')).map(([name, range]) => `${name}@${range}`);
    await project.install([...project.tarballs.keys(), ...thirdParty], plugin);
    ok(await project.run('npm', ['run', 'build'], plugin));
    const called = ok(await project.run('npx', ['clawdesk', 'call', '.', 'greet', '{"name":"Ada"}'], plugin));
    expect(JSON.parse(called.stdout)).toEqual({ greeting: 'Hello, Ada.' });
    const tested = ok(await project.run('npm', ['test'], plugin));
    expect(tested.stdout).toMatch(/\bpass 3\n.*\bfail 0\n/);
  });

  test('`clawdesk install file:<tarball>` installs a plugin with its npm dependencies into ./plugins, and it answers', async () => {
    const author = path.join(project.dir, 'author');
    await mkdir(author);
    await writeFile(
      path.join(author, 'package.json'),
      JSON.stringify({ name: 'slugger', version: '1.0.0', type: 'module', dependencies: { zod: '^4.0.0' } }),
    );
    await writeFile(
      path.join(author, 'plugin.json5'),
      `{ name: 'slugger', version: '1.0.0', description: 'slugs', author: 'a', runtime: 'node', sandbox: 'native',
         entry: './index.js', capabilities: ['tool_call'], tools: [{ name: 'slug', description: 'slugs text' }] }`,
    );
    await writeFile(
      path.join(author, 'index.js'),
      `import { z } from 'zod';
const input = z.object({ text: z.string() });
export default { tools: { slug: { description: 'slugs text', run: (args) => ({ slug: input.parse(args).text.toLowerCase().replace(/\\W+/g, '-') }) } } };
`,
    );
    const packed = ok(await project.run('npm', ['pack', '--json', '--pack-destination', project.dir], author));
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const user = path.join(project.dir, 'user');
    await mkdir(user);
    const installed = ok(await clawdesk(['install', `file:${path.join(project.dir, filename)}`], user));
    expect(installed.stdout).toContain('installed slugger@1.0.0');
    const called = ok(await clawdesk(['call', 'slugger', 'slug', '{"text":"Hello World"}'], user));
    expect(JSON.parse(called.stdout)).toEqual({ slug: 'hello-world' });
    expect(JSON.parse(await readFile(path.join(user, 'plugins/slugger/node_modules/zod/package.json'), 'utf8')).version).toMatch(/^4\./);
  });

  test("the root README's first example runs as written, against a plugin scaffolded into ./plugins", async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet).toBeDefined();
    const dir = path.join(project.dir, 'readme-example');
    await mkdir(dir);
    // The README's `npx @clawdesk/cli init greeter --dir plugins`; the plugin's own `npm install` is
    // replaced by the project's node_modules one level up, where Node resolves its imports too.
    expect(readme).toContain('npx @clawdesk/cli init greeter --dir plugins');
    expect(snippet).toMatch(/^\/\/ host\.mjs — run with `node host\.mjs`/);
    ok(await clawdesk(['init', 'greeter', '--dir', 'plugins'], dir));
    await writeFile(path.join(dir, 'host.mjs'), snippet!);
    const ran = await project.run('node', ['host.mjs'], dir);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ran.stdout).toBe("loaded: greeter\n{ greeting: 'Hello, Ada.' }\n");
  });
});

test("the plugin-sdk README's complete process plugin validates and answers as its README says", async () => {
  const readme = await readFile(path.join(repoRoot, 'packages/plugin-sdk/README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## A complete process plugin'), readme.indexOf('## Wasm plugins in AssemblyScript'));
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, lang, body]) => ({ lang: lang!, body: body! }));
  const file = (lang: string) => {
    const block = blocks.find((b) => b.lang === lang);
    if (block === undefined) throw new Error(`no ${lang} block in the plugin-sdk README's complete process plugin`);
    return block.body;
  };
  const dir = path.join(project.dir, 'sdk-readme');
  await mkdir(path.join(dir, 'src'), { recursive: true });
  // Each file where its first line (or, for package.json, the text after it) says it goes.
  expect(file('json5').split('\n')[0]).toBe('// plugin.json5');
  expect(file('ts').split('\n')[0]).toBe('// src/index.ts');
  await writeFile(path.join(dir, 'plugin.json5'), file('json5'));
  await writeFile(path.join(dir, 'src/index.ts'), file('ts'));
  await writeFile(path.join(dir, 'package.json'), file('json'));
  const commands = file('sh').trim().split('\n');
  expect(commands[0]).toBe('npm install @clawdesk/plugin-sdk zod');
  // The unpublished SDK from its tarball, with the @clawdesk packages it depends on; zod from the registry.
  await project.install(['@clawdesk/plugin-sdk', '@clawdesk/sandbox', '@clawdesk/manifest', 'zod'], dir);
  // `npx @clawdesk/cli` in the plugin dir would fetch the CLI from the registry; the project's
  // installed CLI is run from one level up on the same directory instead.
  expect(commands[1]).toBe('npx @clawdesk/cli validate .');
  ok(await project.run('npx', ['@clawdesk/cli', 'validate', dir]));
  const [, args, said] = /^npx @clawdesk\/cli call \. greet '(.*)'\s+# prints (.*)$/.exec(commands[2]!) ?? [];
  expect([args, said]).toEqual([expect.any(String), expect.any(String)]);
  const called = ok(await project.run('npx', ['@clawdesk/cli', 'call', dir, 'greet', args!]));
  expect(JSON.parse(called.stdout)).toEqual(JSON.parse(said!));
});

test("the CLI README's \"Try it\" commands run as written (OpenClaw plugins from the npm registry)", async () => {
  const readme = await readFile(path.join(repoRoot, 'packages/cli/README.md'), 'utf8');
  const block = /## Try it\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeDefined();
  const commands = block!.trim().split('\n').map((line) => line.replace(/\s+#.*$/, '').split(/\s+/));
  // A directory of its own (`npm init -y`), so `npm install` installs here and not into the project above.
  const dir = path.join(project.dir, 'try-it');
  await mkdir(dir);
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'try-it', version: '1.0.0', private: true }));
  const cli = path.join(project.dir, 'node_modules/.bin/clawdesk');
  const outputs: string[] = [];
  for (const [tool, ...args] of commands) {
    // `npx @clawdesk/cli …` would fetch the unpublished CLI from the registry: the project's installed one runs instead.
    const r = tool === 'npx' ? ok(await project.run(cli, args.slice(1), dir)) : ok(await project.run(tool!, [...args, '--no-audit', '--no-fund'], dir));
    outputs.push(r.stdout);
  }
  expect(commands.map((c) => c.slice(0, 3).join(' '))).toEqual([
    'npm install @happycastle/oh-my-openclaw',
    'npx @clawdesk/cli inspect',
    'npx @clawdesk/cli install',
    'npx @clawdesk/cli list',
  ]);
  expect(outputs[1]).toMatch(/^oh-my-openclaw@\d+\.\d+\.\d+/m);
  expect(outputs[1]).toContain('Not supported by this host');
  expect(outputs[2]).toContain('installed openclaw-web-search@');
  expect(outputs[3]).toMatch(/openclaw-web-search/);
});

// The machine's own Node (20 here) is older than the packages need: each must refuse it at import
// with one UnsupportedNodeError naming the version, not fail inside a dependency (execa: `TEXT_ENCODINGS.union`).
const OLD_NODE = '/usr/bin/node';
// These two work on any Node and run inside plugin children (plugin-sdk) or before any driver (manifest).
const RUN_ANYWHERE = new Set(['@clawdesk/manifest', '@clawdesk/plugin-sdk']);

describe('on a Node older than 22 (the machine\'s /usr/bin/node)', () => {
  let oldVersion: string | undefined;
  beforeAll(async () => {
    const r = await project.run(OLD_NODE, ['-p', 'process.versions.node']).catch(() => undefined);
    oldVersion = r?.code === 0 ? r.stdout.trim() : undefined;
  });
  const old = () => oldVersion !== undefined && Number.parseInt(oldVersion, 10) < 22;

  test('every package refuses it at import, ESM and CommonJS, with UNSUPPORTED_NODE naming the version needed', async () => {
    if (!old()) return; // no Node < 22 on this machine: nothing to check
    const names = [...project.tarballs.keys()].filter((name) => !RUN_ANYWHERE.has(name));
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      for (const how of [`import(${JSON.stringify(name)})`, `Promise.resolve().then(() => require(${JSON.stringify(name)}))`]) {
        const script = `${how}.then(() => console.log('loaded'), (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })))`;
        const r = await project.run(OLD_NODE, ['-e', script]);
        expect({ name, how, code: r.code, stderr: r.stderr }).toEqual({ name, how, code: 0, stderr: '' });
        expect({ name, how, error: JSON.parse(r.stdout) }).toEqual({
          name,
          how,
          error: {
            name: 'UnsupportedNodeError',
            code: 'UNSUPPORTED_NODE',
            message: `clawdesk needs Node.js 22 or newer, but this is Node.js ${oldVersion} (${OLD_NODE}); install Node.js 22 or 24 (LTS) and run it again`,
          },
        });
      }
    }
  });

  test('the CLI prints that one line and exits 1 — for --help and for a command that would start a plugin', async () => {
    if (!old()) return;
    const bin = path.join(project.dir, 'node_modules/.bin/clawdesk');
    for (const args of [['--help'], ['call', './my-plugin', 'greet', '{"name":"Ada"}']]) {
      const r = await project.run(OLD_NODE, [bin, ...args]);
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code: 1,
        stdout: '',
        stderr: `clawdesk: clawdesk needs Node.js 22 or newer, but this is Node.js ${oldVersion} (${OLD_NODE}); install Node.js 22 or 24 (LTS) and run it again\n`,
      });
    }
  });

  test('the packages that run anywhere still load (a plugin child may be an older Node)', async () => {
    if (!old()) return;
    for (const entry of ['@clawdesk/manifest', '@clawdesk/plugin-sdk', '@clawdesk/plugin-sdk/serve']) {
      const r = await project.run(OLD_NODE, ['--input-type=module', '-e', `await import(${JSON.stringify(entry)}); console.log('loaded')`]);
      expect({ entry, code: r.code, stdout: r.stdout }).toEqual({ entry, code: 0, stdout: 'loaded\n' });
    }
  });
});
