import { readFileSync } from 'node:fs';
import { codeBlocks } from '../../../scripts/readme-snippets.mjs';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = codeBlocks(README).filter((b) => b.lang === 'ts');

describe('the README', () => {
  test('shows the conformance example exactly as test/conformance.test.ts runs it (that file is the test that runs it)', () => {
    const example = readFileSync(new URL('./conformance.test.ts', import.meta.url), 'utf8');
    expect(blocks[0]?.body).toBe(example);
  });

  test('says the process-driver outline is not runnable as is, and what it needs', () => {
    expect(blocks).toHaveLength(2);
    const outline = blocks[1]!.body;
    expect(outline).toMatch(/^\/\/ An outline, not runnable as is: it needs .*\n\/\/ `livePids\(\)` of your own/);
    // Everything else it uses is imported, from packages that export it.
    for (const name of ['fileURLToPath', 'loadManifest', 'defineConformanceSuite', 'createProcessDriver']) {
      expect(outline).toMatch(new RegExp(`^import \\{ ${name} \\} from '`, 'm'));
    }
  });
});

test('the error table lists every error class the package exports, with its code', async () => {
  const exported = await import('../src/index.js');
  const classes = Object.entries(exported)
    .filter(([, value]) => typeof value === 'function' && typeof (value as { CODE?: unknown }).CODE === 'string')
    .map(([name, value]) => `| \`${(value as unknown as { CODE: string }).CODE}\` | \`${name}\` |`)
    .sort();
  const rows = README.split('\n').filter((line) => /^\| `[A-Z_]+` \| `\w+Error` \|/.test(line)).map((line) => line.split(' | ').slice(0, 2).join(' | ') + ' |');
  expect(classes.length).toBeGreaterThanOrEqual(14);
  expect(rows).toEqual(classes);
});
