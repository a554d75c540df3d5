import { readFileSync } from 'node:fs';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { codeBlock, createSnippetDir, REPO_ROOT } from '../../../scripts/readme-snippets.mjs';

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
