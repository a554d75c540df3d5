import { readFileSync } from 'node:fs';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { codeBlock, createSnippetDir, importedPackages, installedPackages, REPO_ROOT, type RunningSnippet } from '../../../scripts/readme-snippets.mjs';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('the README example runs unchanged beside the repository examples, and prints what its comments say', async () => {
  const example = codeBlock(README, { lang: 'js', includes: '// example.mjs' });
  const project = await createSnippetDir('host');
  try {
    // "runnable from the repository root": what it needs from there is ./examples.
    await symlink(path.join(REPO_ROOT, 'examples'), path.join(project.dir, 'examples'), 'dir');
    await project.write('example.mjs', example);
    const ran = await project.run(['example.mjs']);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ran.stdout.split('\n').filter((l) => l.includes('→') || l.startsWith('TIMEOUT'))).toEqual([
      'native-echo: resolved → loaded',
      'native-echo: loaded → active',
      'TIMEOUT plugin "native-echo", tool "spin" timed out after 200 ms',
      'native-echo: active → loaded',
      'native-echo: loaded → active',
      'native-echo: active → stopped',
    ]);
    expect(ran.stdout).toContain('structuredContent: { hi: 1 }');
  } finally {
    await project.dispose();
  }
});

test('the README watch.mjs runs as written: it reports a broken plugin, reloads an edited one, keeps the old on a bad edit, and stops on Ctrl-C', async () => {
  const watch = codeBlock(README, { lang: 'js', includes: '// watch.mjs' });
  const project = await createSnippetDir('host-watch');
  let running: RunningSnippet | undefined;
  const manifest = (version: string) =>
    `{ name: 'greeter', version: '${version}', runtime: 'node', sandbox: 'native', entry: './index.mjs', tools: [{ name: 'greet', description: 'Greets' }] }`;
  try {
    await project.write('plugins/greeter/index.mjs', "export default { tools: { greet: { description: 'Greets', run: () => ({ hi: 1 }) } } };\n");
    await project.write('plugins/greeter/plugin.json5', manifest('1.0.0'));
    await project.write('plugins/broken/plugin.json5', "{ name: 'broken', version: 'one' }");
    await project.write('watch.mjs', watch);
    running = project.start(['watch.mjs']);
    await running.waitFor(/^watching greeter$/m);
    // A manifest that does not parse has no name yet: the problem names its directory.
    expect(running.output.stderr).toContain(`${project.dir}/plugins/broken: Invalid plugin manifest`);
    expect(running.output.stderr).toContain('version: must be a semver version like "1.2.3", got "one"');
    await project.write('plugins/greeter/plugin.json5', manifest('1.1.0'));
    await running.waitFor(/^greeter 1\.0\.0 → 1\.1\.0$/m);
    await project.write('plugins/greeter/plugin.json5', '{ name: ');
    await running.waitFor(/^greeter: Cannot parse plugin manifest [\s\S]*; the old version keeps serving$/m, 'stderr');
    running.child.kill('SIGINT');
    expect(await running.exited).toEqual({ code: 0, signal: null });
  } finally {
    if (running?.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    await project.dispose();
  }
});

test('every package the runnable examples import is one the Install section installs', () => {
  const installed = installedPackages(codeBlock(README, { heading: 'Install', lang: 'sh' }));
  const examples = ['// example.mjs', '// watch.mjs'].map((includes) => codeBlock(README, { lang: 'js', includes })).join('\n');
  expect(importedPackages(examples).filter((name) => !installed.includes(name))).toEqual([]);
});
