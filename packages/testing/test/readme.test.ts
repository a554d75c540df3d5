import { readFileSync } from 'node:fs';
import { codeBlock, createSnippetDir, type SnippetDir, importedPackages, installedPackages } from '../../../scripts/readme-snippets.mjs';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const testFile = codeBlock(README, { heading: 'Example', lang: 'ts' });

// The plugin `clawdesk init greeter` scaffolds (packages/cli/src/scaffold/templates.ts), which the README names.
const MANIFEST = `{
  name: 'greeter', version: '0.1.0', runtime: 'node', sandbox: 'process', entry: './src/index.ts',
  capabilities: ['tool_call'], tools: [{ name: 'greet', description: 'Greets {name}' }], timeoutMs: 5000,
}
`;
const plugin = (greeting: string) => `import { definePlugin, serve, tool } from '@clawdesk/plugin-sdk';
import { z } from 'zod';

export const plugin = definePlugin({
  name: 'greeter',
  tools: {
    greet: tool({
      description: 'Greets {name}',
      input: z.object({ name: z.string().min(1), excited: z.boolean().default(false) }),
      run: ({ name, excited }, ctx) => {
        ctx.log.info('greeting', { name });
        return { greeting: \`${greeting}, \${name}\${excited ? '!' : '.'}\` };
      },
    }),
  },
});

serve(plugin);
`;

let project: SnippetDir;
beforeEach(async () => {
  project = await createSnippetDir('testing');
  await project.write('greeter/plugin.json5', MANIFEST);
  await project.write('greeter/test/plugin.test.ts', testFile);
});
afterEach(() => project.dispose());

// The README's own command, from its first line.
const command = () => {
  const [, args] = /^\/\/ test\/plugin\.test\.ts — run with `node (.*)` in the plugin's directory$/.exec(testFile.split('\n')[0]!) ?? [];
  expect(args).toBe('--test test/*.test.ts');
  return args!.split(' ');
};

describe("the README's node:test file, run with its own command in the scaffolded greeter", () => {
  test('passes against the greeter under its real process driver', async () => {
    await project.write('greeter/src/index.ts', plugin('Hello'));
    const ran = await project.run(command(), { cwd: `${project.dir}/greeter` });
    expect(ran.stdout).toMatch(/^ℹ pass 2$/m);
    expect(ran.stdout).toMatch(/^ℹ fail 0$/m);
    expect(ran.code).toBe(0);
  });

  test('fails when the plugin answers something else, so it tests the plugin for real', async () => {
    await project.write('greeter/src/index.ts', plugin('Hi'));
    const ran = await project.run(command(), { cwd: `${project.dir}/greeter` });
    expect(ran.stdout).toMatch(/^ℹ pass 1$/m);
    expect(ran.stdout).toContain("+   greeting: 'Hi, Ada.'");
    expect(ran.code).toBe(1);
  });
});

test('every package the example imports is one its Install section installs', () => {
  const installed = installedPackages(codeBlock(README, { heading: 'Install', lang: 'sh' }));
  expect(importedPackages(testFile).filter((name) => !installed.includes(name))).toEqual([]);
});
