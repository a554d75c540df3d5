// The files `clawdesk init` writes, per runtime. Each scaffold passes `clawdesk validate`, answers
// `clawdesk call <dir> greet '{"name":"Ada"}'` once installed (and built, for wasm), and ships a
// test written with @clawdesk/testing. test/init.test.ts runs all of that.

export type ScaffoldRuntime = 'node' | 'bun' | 'deno' | 'wasm';
export const SCAFFOLD_RUNTIMES: readonly ScaffoldRuntime[] = ['node', 'bun', 'deno', 'wasm'];

/** Version ranges for the generated package.json. */
export interface ScaffoldVersions {
  cli: string;
  pluginSdk: string;
  testing: string;
}

/** Third-party ranges the scaffold was written against (plugin-sdk's peers). */
const ZOD = '^4.0.0';
const AS_PDK = '^1.0.0';
const ASSEMBLYSCRIPT = '^0.28.0';
const TYPESCRIPT = '^6.0.0';
const TYPES_NODE = '^24.0.0';

export const WASM_ENTRY = 'dist/plugin.wasm';
const ASC = `asc assembly/index.ts --outFile ${WASM_ENTRY} --optimize --use abort=~lib/@clawdesk/plugin-sdk/assembly/index/abort`;

/** Relative path → contents. */
export type FileSet = Record<string, string>;

export function scaffoldFiles(name: string, runtime: ScaffoldRuntime, v: ScaffoldVersions): FileSet {
  return runtime === 'wasm' ? wasmFiles(name, v) : processFiles(name, runtime, v);
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

const GREET_DESCRIPTION = 'Greets someone by name';

function processFiles(name: string, runtime: Exclude<ScaffoldRuntime, 'wasm'>, v: ScaffoldVersions): FileSet {
  return {
    'package.json': json({
      name,
      version: '0.1.0',
      private: true,
      description: `${name}: a clawdesk plugin`,
      type: 'module',
      scripts: {
        test: 'node --test test/*.test.ts',
        dev: "clawdesk dev . --call greet '{\"name\":\"Ada\"}'",
        validate: 'clawdesk validate .',
        typecheck: 'tsc --noEmit',
      },
      dependencies: { '@clawdesk/plugin-sdk': v.pluginSdk, zod: ZOD },
      devDependencies: { '@clawdesk/cli': v.cli, '@clawdesk/testing': v.testing, '@types/node': TYPES_NODE, typescript: TYPESCRIPT },
    }),
    'plugin.json5': `// The manifest clawdesk reads: what the plugin is, where it runs and what it may touch.
// Tool schemas come from the code (tools/list); the list here is what \`clawdesk list\` shows unloaded.
{
  name: '${name}',
  version: '0.1.0',
  description: 'Greets people',
  author: '',
  runtime: '${runtime}',
  sandbox: 'process',
  entry: './src/index.ts',
  capabilities: ['tool_call'],
  tools: [{ name: 'greet', description: '${GREET_DESCRIPTION}' }],
  timeoutMs: 5000,
  permissions: {
    network: { allowedHosts: [] },
  },
}
`,
    'src/index.ts': `// A process plugin: the host starts this file in a child process (${runtime}) and calls its tools over stdio.
import { definePlugin, serve, tool } from '@clawdesk/plugin-sdk';
import { z } from 'zod';

export const plugin = definePlugin({
  name: '${name}',
  tools: {
    greet: tool({
      description: '${GREET_DESCRIPTION}',
      input: z.object({ name: z.string().min(1), excited: z.boolean().default(false) }),
      run: ({ name, excited }, ctx) => {
        ctx.log.info('greeting', { name });
        return { greeting: \`Hello, \${name}\${excited ? '!' : '.'}\` };
      },
    }),
  },
});

serve(plugin);
`,
    'test/plugin.test.ts': testFile(),
    'tsconfig.json': json({
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        skipLibCheck: true,
        types: ['node'],
      },
      include: ['src', 'test'],
    }),
    '.gitignore': 'node_modules/\n',
    'README.md': readme(name, runtime, false),
  };
}

function wasmFiles(name: string, v: ScaffoldVersions): FileSet {
  return {
    'package.json': json({
      name,
      version: '0.1.0',
      private: true,
      description: `${name}: a clawdesk wasm plugin in AssemblyScript`,
      type: 'module',
      scripts: {
        build: ASC,
        test: 'npm run build && node --test test/*.test.ts',
        dev: "clawdesk dev . --call greet '{\"name\":\"Ada\"}'",
        validate: 'clawdesk validate .',
      },
      devDependencies: {
        '@clawdesk/cli': v.cli,
        '@clawdesk/plugin-sdk': v.pluginSdk,
        '@clawdesk/testing': v.testing,
        '@extism/as-pdk': AS_PDK,
        assemblyscript: ASSEMBLYSCRIPT,
      },
    }),
    'plugin.json5': `// The manifest clawdesk reads: what the plugin is, where it runs and what it may touch.
// A wasm module cannot describe itself: its tools and their input schemas are declared here.
{
  name: '${name}',
  version: '0.1.0',
  description: 'Greets people',
  author: '',
  runtime: 'wasm',
  sandbox: 'wasm',
  entry: './${WASM_ENTRY}',
  capabilities: ['tool_call'],
  tools: [
    {
      name: 'greet',
      description: '${GREET_DESCRIPTION}',
      inputSchema: {
        type: 'object',
        properties: { name: { type: 'string', minLength: 1 }, excited: { type: 'boolean' } },
        required: ['name'],
      },
    },
  ],
  timeoutMs: 5000,
  permissions: { memoryMb: 16 },
}
`,
    'assembly/index.ts': `// A wasm plugin in AssemblyScript: each exported function is a tool. \`npm run build\` compiles it to ${WASM_ENTRY}.
import { fail, input, JSONValue, logInfo, output } from "@clawdesk/plugin-sdk/assembly";

/** Tool \`greet\`: \`{name, excited?}\` → \`{greeting}\`. */
export function greet(): i32 {
  const args = input();
  const name = args.getString("name");
  if (name.length == 0) return fail("greet needs a name");
  const excited = args.getBool("excited", false);
  logInfo("greeting " + name);
  return output(JSONValue.newObject().setString("greeting", "Hello, " + name + (excited ? "!" : ".")));
}
`,
    'assembly/tsconfig.json': json({ extends: 'assemblyscript/std/assembly.json', include: ['./**/*.ts'] }),
    'test/plugin.test.ts': testFile(),
    '.gitignore': 'node_modules/\ndist/\n',
    'README.md': readme(name, 'wasm', true),
  };
}

function testFile(): string {
  return `// Runs the plugin under its real sandbox through @clawdesk/testing: \`npm test\`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestHost, type TestHost } from '@clawdesk/testing';

const pluginDir = fileURLToPath(new URL('..', import.meta.url));
let plugin: TestHost;

before(async () => {
  plugin = await createTestHost(pluginDir);
});
after(() => plugin.close());

test('greet answers with a greeting', async () => {
  assert.deepEqual(await plugin.callValue('greet', { name: 'Ada' }), { greeting: 'Hello, Ada.' });
  assert.deepEqual(await plugin.callValue('greet', { name: 'Ada', excited: true }), { greeting: 'Hello, Ada!' });
});

test('greet logs who it greeted', async () => {
  await plugin.callValue('greet', { name: 'Grace' });
  assert.ok(plugin.logs.some((line) => line.message.includes('greeting')), JSON.stringify(plugin.logs));
});

test('a call without a name is refused before the plugin runs', async () => {
  await assert.rejects(plugin.call('greet', {}), { code: 'INVALID_ARGUMENTS' });
});
`;
}

function readme(name: string, runtime: ScaffoldRuntime, wasm: boolean): string {
  const build = wasm ? 'npm run build                              # compile assembly/ to dist/plugin.wasm\n' : '';
  return `# ${name}

A clawdesk plugin (${wasm ? 'wasm, in AssemblyScript' : `process sandbox, ${runtime}`}).

\`\`\`sh
npm install
${build}npx clawdesk validate .
npx clawdesk call . greet '{"name":"Ada"}'
npm test                                    # the tests in test/, against a real host
npm run dev                                 # rebuild, reload and re-run the call on every save
\`\`\`
`;
}
