import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, startCli } from './run-cli.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'clawdesk-dev-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const manifest = (version: string, entry: string) =>
  `{ name: 'greeter', version: '${version}', description: 'greets', author: 'a', runtime: 'node', sandbox: 'native',
     entry: '${entry}', capabilities: ['tool_call'], tools: [{ name: 'greet', description: 'greets' }] }`;
const module = (word: string) => `export default { tools: { greet: { description: 'greets', run: ({ name }) => ({ greeting: '${word}, ' + name }) } } };\n`;
/** Waits for `done()` to hold as the CLI prints; fails after 20 s with what it printed. */
async function until(done: () => boolean, printed: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting; the CLI printed:\n${printed()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
// Complete lines only: while the CLI runs, the last one may still be arriving.
const events = (stdout: string) =>
  stdout.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, any>];
    } catch {
      return [];
    }
  });

describe('clawdesk dev', () => {
  test('loads, runs the saved call, reloads and re-runs it on every edit; a broken manifest is reported at its field and does not end it', async () => {
    const dir = path.join(tmp, 'greeter');
    await mkdir(dir);
    await writeFile(path.join(dir, 'plugin.json5'), manifest('1.0.0', './index.mjs'));
    await writeFile(path.join(dir, 'index.mjs'), module('Hello'));
    const run = startCli(['dev', dir, '--call', 'greet', '{"name":"Ada"}', '--json', '--debounce', '50']);
    try {
      await run.waitFor('"greeting":"Hello, Ada"');
      await writeFile(path.join(dir, 'index.mjs'), module('Hi'));
      await run.waitFor('"greeting":"Hi, Ada"');
      await writeFile(path.join(dir, 'plugin.json5'), manifest('one', './index.mjs'));
      await run.waitFor('"event":"load-failed"');
      await writeFile(path.join(dir, 'plugin.json5'), manifest('1.0.1', './index.mjs'));
      await run.waitFor('"version":"1.0.1"');
      // The third result (the text alone matches the second one too).
      await until(() => events(run.output().stdout).filter((e) => e.event === 'result').length === 3, () => run.output().stdout);
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
    const log = events(run.output().stdout);
    const failed = log.find((e) => e.event === 'load-failed');
    expect(failed?.error).toMatchObject({
      code: 'MANIFEST_INVALID',
      file: path.join(dir, 'plugin.json5'),
      problems: [{ path: 'version', message: 'must be a semver version like "1.2.3", got "one"' }],
    });
    expect(log.filter((e) => e.event === 'result').map((e) => e.value.greeting)).toEqual(['Hello, Ada', 'Hi, Ada', 'Hi, Ada']);
  });

  test('a plugin with a build script is built before each load, and its build output does not trigger another build', async () => {
    const dir = path.join(tmp, 'built');
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await writeFile(path.join(dir, 'plugin.json5'), manifest('1.0.0', './dist/index.mjs'));
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'built', private: true, type: 'module', scripts: { build: 'node build.mjs' } }));
    // The "build": src/word.txt → dist/index.mjs.
    await writeFile(
      path.join(dir, 'build.mjs'),
      `import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
const word = readFileSync('src/word.txt', 'utf8').trim();
if (word === 'broken') { console.error('build.mjs: cannot build "broken"'); process.exit(3); }
mkdirSync('dist', { recursive: true });
writeFileSync('dist/index.mjs', ${JSON.stringify(module('WORD'))}.replace('WORD', word));
`,
    );
    await writeFile(path.join(dir, 'src/word.txt'), 'Hello');
    const run = startCli(['dev', dir, '--call', 'greet', '{"name":"Ada"}', '--json', '--debounce', '50']);
    try {
      await run.waitFor('"greeting":"Hello, Ada"');
      await writeFile(path.join(dir, 'src/word.txt'), 'broken');
      await run.waitFor('"event":"build-failed"');
      await writeFile(path.join(dir, 'src/word.txt'), 'Hej');
      await run.waitFor('"greeting":"Hej, Ada"');
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
    const log = events(run.output().stdout);
    expect(log.find((e) => e.event === 'build-failed')).toMatchObject({ exitCode: 3, output: expect.stringContaining('cannot build "broken"') });
    // One build per state of the sources (start, broken, Hej): writing dist/ never started one.
    expect(log.filter((e) => e.event === 'building')).toHaveLength(3);
    expect(log.filter((e) => e.event === 'changed').map((e) => e.file)).not.toContainEqual(expect.stringMatching(/^dist/));
    expect(await readFile(path.join(dir, 'dist/index.mjs'), 'utf8')).toContain('Hej');
  });

  test("a scaffolded plugin's own `npm run dev` command (a TypeScript process plugin) answers its saved call", async () => {
    // Inside the workspace, so the scaffold resolves @clawdesk/plugin-sdk and zod as an installed project would.
    const local = fileURLToPath(new URL('../.tmp', import.meta.url));
    await mkdir(local, { recursive: true });
    const work = await mkdtemp(path.join(local, 'dev-'));
    try {
      const made = await runCli(['init', 'greeter', '--json'], { cwd: work });
      expect({ code: made.code, stderr: made.stderr }).toEqual({ code: 0, stderr: '' });
      const dir = path.join(work, 'greeter');
      const script = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')).scripts.dev as string;
      expect(script).toBe(`clawdesk dev . --call greet '{"name":"Ada"}'`);
      const run = startCli(['dev', '.', '--call', 'greet', '{"name":"Ada"}'], { cwd: dir });
      try {
        await run.waitFor('greet → {');
        await run.waitFor('"greeting": "Hello, Ada."');
      } finally {
        run.child.kill('SIGINT');
      }
      expect(await run.exited).toBe(0);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
