import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createFreshProject, type FreshProject } from '../src/fresh-project.js';
import { repoRoot } from '../src/workspace.js';

// The published .d.ts files, type-checked as a user's project sees them: a fresh project with only the
// packed tarballs installed (no @types/node of its own, nothing it was not told to add), every
// library file checked (`skipLibCheck: false`), under each module resolution a TypeScript user picks.

const TSC = path.join(repoRoot, 'node_modules/typescript/bin/tsc');

let project: FreshProject;
let entries: string[];

beforeAll(async () => {
  project = await createFreshProject('types');
  await project.install([...project.tarballs.keys()]);
  // Every entry point of every package, from its packed package.json's `exports` (not a list kept here).
  entries = [];
  for (const name of project.tarballs.keys()) {
    const pkg = JSON.parse(await readFile(path.join(project.dir, 'node_modules', name, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    for (const key of Object.keys(pkg.exports)) {
      if (key === './package.json' || key.endsWith('.json')) continue;
      entries.push(key === '.' ? name : `${name}/${key.slice(2)}`);
    }
  }
}, 300_000);

afterAll(async () => {
  await project?.dispose();
});

// Uses the types, so a declaration that silently became `any` fails too (the @ts-expect-error lines).
const USAGE = `
import { createHost, createNativeDriver, type PluginHost } from '@clawdesk/host';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { definePlugin } from '@clawdesk/plugin-sdk';

const host: PluginHost = createHost({ drivers: [createProcessDriver(), createNativeDriver()], hostVersion: '1.0.0', dataDir: './.clawdesk' });
// @ts-expect-error hostVersion is a string
createHost({ drivers: [], hostVersion: 1, dataDir: './.clawdesk' });
const plugin = definePlugin({ name: 'p', tools: {} });
// @ts-expect-error a plugin has a name
definePlugin({ tools: {} });
export const used = [host, plugin];
`;

interface Case {
  name: string;
  compilerOptions: Record<string, unknown>;
  /** The consumer file's extension: `.ts` in a `"type": "module"` project, `.cts` for CommonJS. */
  ext: '.ts' | '.cts';
}

const CASES: Case[] = [
  { name: 'nodenext, ESM', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, ext: '.ts' },
  { name: 'nodenext, CommonJS', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, ext: '.cts' },
  { name: 'node16, ESM', compilerOptions: { module: 'node16', moduleResolution: 'node16' }, ext: '.ts' },
  { name: 'node16, CommonJS', compilerOptions: { module: 'node16', moduleResolution: 'node16' }, ext: '.cts' },
  { name: 'bundler, ESM', compilerOptions: { module: 'preserve', moduleResolution: 'bundler' }, ext: '.ts' },
];

function consumer(ext: Case['ext']): string {
  const lines =
    ext === '.cts'
      ? entries.map((entry, i) => `import m${i} = require('${entry}');`)
      : entries.map((entry, i) => `import * as m${i} from '${entry}';`);
  return `${lines.join('\n')}\nexport const all = [${entries.map((_, i) => `m${i}`).join(', ')}];\n${USAGE}`;
}

describe("the packed packages' types in a fresh TypeScript project (skipLibCheck: false, no extra @types)", () => {
  test('the project was not given @types/node by hand: only what the packages themselves declare', async () => {
    const pkg = JSON.parse(await readFile(path.join(project.dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).sort()).toEqual([...project.tarballs.keys()].sort());
    expect(entries).toEqual(expect.arrayContaining(['@clawdesk/host', '@clawdesk/plugin-sdk/serve', '@clawdesk/sandbox/conformance']));
  });

  test.each(CASES)('$name', async ({ name, compilerOptions, ext }) => {
    const dir = path.join(project.dir, name.replace(/\W+/g, '-'));
    await mkdir(dir);
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await writeFile(path.join(dir, `consumer${ext}`), consumer(ext));
    await writeFile(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, ...compilerOptions },
        files: [`consumer${ext}`],
      }),
    );
    const checked = await project.run('node', [TSC, '-p', 'tsconfig.json'], dir);
    expect({ code: checked.code, output: checked.stdout + checked.stderr }).toEqual({ code: 0, output: '' });
  });
});
