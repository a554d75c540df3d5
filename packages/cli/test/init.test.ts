import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type CliRun, runCli } from './run-cli.js';

const exec = promisify(execFile);

// Inside the workspace, so a scaffold resolves @clawdesk/* and zod the way an installed project
// would (tools/release-check does the same from packed tarballs in a project of its own).
let work: string;
beforeAll(async () => {
  const local = fileURLToPath(new URL('../.tmp', import.meta.url));
  await mkdir(local, { recursive: true });
  work = await mkdtemp(path.join(local, 'init-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const json = (text: string) => JSON.parse(text) as Record<string, any>;
const expectExit = (r: CliRun, code: number) => expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toMatchObject({ code });
// The workspace's bin dir first, absolute (a relative PATH entry would break in another cwd), and
// the Node running this test: `npm`, `tsc`, `asc`, `bun` and `deno` as an installed project has them.
const bin = fileURLToPath(new URL('../../../node_modules/.bin', import.meta.url));
const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', PATH: [bin, path.dirname(process.execPath), process.env.PATH].join(path.delimiter) };
/** Runs a command in `cwd` as a user's shell would, with the workspace's tools on PATH. */
const sh = async (command: string, args: string[], cwd: string) => {
  try {
    return await exec(command, args, { cwd, env, encoding: 'utf8' });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, { cause: error });
  }
};

const available = async (bin: string) => {
  try {
    await sh(bin, ['--version'], work);
    return true;
  } catch {
    return false;
  }
};

/** Scaffolds, validates and calls: what `clawdesk init`'s "Next:" lines promise. */
async function scaffoldAndCall(name: string, runtime: string): Promise<string> {
  const made = await runCli(['init', name, '--runtime', runtime, '--json'], { cwd: work });
  expectExit(made, 0);
  const dir = path.join(work, name);
  expect(json(made.stdout)).toMatchObject({ name, dir, runtime, files: expect.arrayContaining(['package.json', 'plugin.json5', 'test/plugin.test.ts']) });
  if (runtime === 'wasm') await sh('npm', ['run', 'build'], dir);
  const valid = await runCli(['validate', dir, '--json']);
  expectExit(valid, 0);
  expect(json(valid.stdout)).toMatchObject({ valid: true, name, version: '0.1.0', warnings: [] });
  const called = await runCli(['call', `./${name}`, 'greet', '{"name":"Ada"}'], { cwd: work });
  expectExit(called, 0);
  expect(JSON.parse(called.stdout)).toEqual({ greeting: 'Hello, Ada.' });
  return dir;
}

describe('clawdesk init', () => {
  test('a node plugin validates, answers `call`, passes its own test on @clawdesk/testing and type-checks', async () => {
    const dir = await scaffoldAndCall('greeter-node', 'node');
    const pkg = json(await readFile(path.join(dir, 'package.json'), 'utf8'));
    expect(pkg.dependencies).toMatchObject({ '@clawdesk/plugin-sdk': expect.any(String), zod: '^4.0.0' });
    expect(pkg.devDependencies).toMatchObject({ '@clawdesk/testing': expect.any(String), '@clawdesk/cli': expect.any(String) });
    const tested = await sh(process.execPath, ['--test', '--test-reporter=tap', 'test/plugin.test.ts'], dir);
    expect(tested.stdout).toMatch(/# pass 3\n# fail 0/);
    await sh('tsc', ['--noEmit', '-p', 'tsconfig.json'], dir);
  });

  test('a wasm plugin builds with one `npm run build` (AssemblyScript + the SDK helpers), answers `call` and passes its test', async () => {
    const dir = await scaffoldAndCall('greeter-wasm', 'wasm');
    const tested = await sh(process.execPath, ['--test', '--test-reporter=tap', 'test/plugin.test.ts'], dir);
    expect(tested.stdout).toMatch(/# pass 3\n# fail 0/);
  });

  test.each(['bun', 'deno'])('a %s plugin answers `call` (when the runtime is installed)', async (runtime) => {
    if (!(await available(runtime))) return; // the process driver reports RUNTIME_MISSING; nothing to scaffold-test
    await scaffoldAndCall(`greeter-${runtime}`, runtime);
  });

  test('refuses a directory that is not empty, and changes nothing in it', async () => {
    const dir = path.join(work, 'taken');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'keep.txt'), 'mine');
    const r = await runCli(['init', 'taken', '--json'], { cwd: work });
    expectExit(r, 1);
    expect(json(r.stdout).error).toMatchObject({ code: 'DIR_NOT_EMPTY' });
    expect(await readFile(path.join(dir, 'keep.txt'), 'utf8')).toBe('mine');
  });

  test('an unknown runtime is a usage error naming the choices', async () => {
    const r = await runCli(['init', 'x', '--runtime', 'python'], { cwd: work });
    expectExit(r, 2);
    expect(r.stderr).toContain('--runtime must be one of node, bun, deno, wasm, got "python"');
  });

  test('a name the manifest would refuse is refused before anything is written', async () => {
    const r = await runCli(['init', 'bad name!', '--json'], { cwd: work });
    expectExit(r, 1);
    expect(json(r.stdout).error).toMatchObject({ code: 'INVALID_NAME' });
  });

  test('--dir is the parent of the new plugin', async () => {
    const r = await runCli(['init', 'nested', '--dir', path.join(work, 'plugins'), '--json'], { cwd: work });
    expectExit(r, 0);
    expect(json(r.stdout).dir).toBe(path.join(work, 'plugins', 'nested'));
  });
});
