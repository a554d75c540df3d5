import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from './helpers.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const repo = path.resolve(pkg, '../..');

test('the README example runs as written against the built package', async () => {
  const readme = readFileSync(path.join(pkg, 'README.md'), 'utf8');
  const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const dir = tempDir('clawdesk-readme-');
  const script = (example as string)
    .replace("from '@clawdesk/host'", `from ${JSON.stringify(pathToFileURL(path.join(pkg, 'dist/index.js')).href)}`)
    .replace("'./.clawdesk-data'", JSON.stringify(path.join(dir, 'data')));
  writeFileSync(path.join(dir, 'example.mjs'), script);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(dir, 'example.mjs')], {
      cwd: repo,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      timeout: 20_000,
    });
    expect(stdout.split('\n').filter((l) => l.includes('→') || l.startsWith('TIMEOUT'))).toEqual([
      'native-echo: resolved → loaded',
      'native-echo: loaded → active',
      'TIMEOUT plugin "native-echo", tool "spin" timed out after 200 ms',
      'native-echo: active → loaded',
      'native-echo: loaded → active',
      'native-echo: active → stopped',
    ]);
    expect(stdout).toContain('structuredContent: { hi: 1 }');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
