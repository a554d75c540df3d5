import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EXAMPLES, type CliRun, OH_MY_OPENCLAW, runCli, startCli } from './run-cli.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'clawdesk-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const json = (text: string) => JSON.parse(text) as Record<string, any>;
/** Asserts the exit code, showing the run's output when it differs. */
const expectExit = (r: CliRun, code: number) => expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toMatchObject({ code });
/** The environment of a user's shell with no colour preference set (jest's own forced colour removed). */
const plainEnv = () => {
  const env = { ...process.env };
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  return env;
};

describe('help and usage', () => {
  test('with no command it prints the usage with every command and the exit codes, and exits 2', async () => {
    const r = await runCli([]);
    expectExit(r, 2);
    expect(r.stdout).toContain('Usage: clawdesk <command>');
    for (const name of ['list', 'validate', 'inspect', 'call', 'watch', 'dev', 'install', 'init', 'bench']) expect(r.stdout).toContain(`  ${name} `);
    expect(r.stdout).toMatch(/Exit codes:[\s\S]*2 +wrong command line/);
  });

  test.each(['list', 'validate', 'inspect', 'call', 'watch', 'dev', 'serve', 'install', 'init', 'bench'])('%s --help describes the command with an example and exits 0', async (name) => {
    const r = await runCli([name, '--help']);
    expectExit(r, 0);
    expect(r.stdout).toContain(`Usage: clawdesk ${name}`);
    expect(r.stdout).toContain(`Examples:\n  clawdesk ${name}`);
    expect(r.stdout).toContain('--json');
    expect(r.stderr).toBe('');
  });

  test('`help <command>` prints that command\'s help', async () => {
    const r = await runCli(['help', 'call']);
    expectExit(r, 0);
    expect(r.stdout).toContain('Usage: clawdesk call <plugin> <tool> [json]');
    expect(r.stdout).toContain('--timeout <ms>');
  });

  test('an unknown command exits 2 and names it', async () => {
    const r = await runCli(['fly']);
    expectExit(r, 2);
    expect(r.stderr).toContain('unknown command "fly"');
  });

  test('an unknown flag exits 2 with the command help', async () => {
    const r = await runCli(['list', '--frobnicate']);
    expectExit(r, 2);
    expect(r.stderr).toContain('frobnicate');
    expect(r.stderr).toContain('Usage: clawdesk list');
  });

  test('a missing argument exits 2, says what is missing and shows the command help', async () => {
    const r = await runCli(['call', 'native-echo']);
    expectExit(r, 2);
    expect(r.stderr).toContain('call needs a plugin and a tool');
    expect(r.stderr).toContain('Usage: clawdesk call');
  });

  test('a malformed number flag exits 2 naming the flag and the value', async () => {
    const r = await runCli(['call', 'native-echo', 'echo', '--timeout', 'soon', '--json']);
    expectExit(r, 2);
    expect(r.stderr).toContain('--timeout must be an integer >= 1, got "soon"');
    expect(json(r.stdout).error.code).toBe('USAGE');
  });
});

describe('list', () => {
  test('with no directory and no ./plugins it exits 1 and says to pass --dir', async () => {
    const cwd = path.join(tmp, 'nothing-here');
    await mkdir(cwd, { recursive: true });
    const r = await runCli(['list', '--json'], { cwd });
    expectExit(r, 1);
    expect(json(r.stdout).error).toMatchObject({ code: 'NO_PLUGINS_DIR' });
    expect(r.stderr).toContain(`${path.join(cwd, 'plugins')} does not exist; pass --dir <dir>`);
  });

  test('with no directory it lists ./plugins of the working directory', async () => {
    const cwd = path.join(tmp, 'has-plugins');
    await cp(path.join(EXAMPLES, 'native-echo'), path.join(cwd, 'plugins', 'native-echo'), { recursive: true });
    const r = await runCli(['list', '--json'], { cwd });
    expectExit(r, 0);
    expect(json(r.stdout)).toMatchObject({ dir: path.join(cwd, 'plugins'), plugins: [expect.objectContaining({ name: 'native-echo' })] });
  });

  test('lists the bundled examples with their sandboxes as JSON', async () => {
    const r = await runCli(['list', EXAMPLES, '--json']);
    expectExit(r, 0);
    const names = Object.fromEntries(json(r.stdout).plugins.map((p: any) => [p.name, p.sandbox]));
    expect(names).toMatchObject({ 'native-echo': 'native', 'process-echo': 'process', 'weather-wasm': 'wasm', 'wasm-hostile': 'wasm' });
    expect(json(r.stdout).problems).toEqual([]);
  });

  test('prints a table without colour codes when stdout is not a TTY, and in colour when colour is forced', async () => {
    const plain = await runCli(['list', EXAMPLES], { env: plainEnv() });
    expectExit(plain, 0);
    expect(plain.stdout).toMatch(/native-echo\s+1\.0\.0\s+native\s+node\s+echo, sleep, spin, crash/);
    expect(plain.stdout).not.toContain('\x1b[');
    const forced = await runCli(['list', EXAMPLES], { env: { ...plainEnv(), FORCE_COLOR: '1' } });
    expectExit(forced, 0);
    expect(forced.stdout).toContain('\x1b[');
  });

  test('a broken plugin among good ones is reported and makes the exit code 1', async () => {
    const dir = path.join(tmp, 'list-mixed');
    await cp(path.join(EXAMPLES, 'native-echo'), path.join(dir, 'native-echo'), { recursive: true });
    await mkdir(path.join(dir, 'bad'), { recursive: true });
    await writeFile(path.join(dir, 'bad', 'plugin.json5'), `{ name: 'bad', version: 'x' }`);
    const r = await runCli(['list', dir, '--json']);
    expectExit(r, 1);
    const out = json(r.stdout);
    expect(out.plugins.map((p: any) => p.name)).toEqual(['native-echo']);
    expect(out.problems).toEqual([expect.objectContaining({ dir: path.join(dir, 'bad'), message: expect.stringContaining('version') })]);
  });

  test('a directory that does not exist exits 1 and names it', async () => {
    const missing = path.join(tmp, 'nope');
    const r = await runCli(['list', missing]);
    expectExit(r, 1);
    expect(r.stderr).toContain(`${missing} is not a directory`);
  });
});

describe('validate', () => {
  test('accepts a valid plugin and exits 0', async () => {
    const r = await runCli(['validate', path.join(EXAMPLES, 'native-echo')]);
    expectExit(r, 0);
    expect(r.stdout).toContain('native-echo@1.0.0');
  });

  test('exits 1 and lists every field error of a broken manifest', async () => {
    const dir = path.join(tmp, 'broken');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'plugin.json5'), `{ name: 'broken', version: 'one', runtime: 'python', timeoutMs: -5, tools: [{ description: 'x' }] }`);
    const r = await runCli(['validate', dir]);
    expectExit(r, 1);
    expect(r.stdout).toContain(`${path.join(dir, 'plugin.json5')}: MANIFEST_INVALID`);
    expect(r.stdout).toMatch(/^ {2}version: .*"one"/m);
    expect(r.stdout).toMatch(/^ {2}runtime: .*"python"/m);
    expect(r.stdout).toMatch(/^ {2}timeoutMs: .*-5/m);
    expect(r.stdout).toMatch(/^ {2}tools\[0\]\.name: /m);
    const j = await runCli(['validate', dir, '--json']);
    expectExit(j, 1);
    expect(json(j.stdout)).toMatchObject({ valid: false, code: 'MANIFEST_INVALID', file: path.join(dir, 'plugin.json5') });
    expect(json(j.stdout).problems.map((p: any) => p.path).sort()).toEqual(['runtime', 'timeoutMs', 'tools[0].name', 'version']);
  });

  test('exits 1 for a directory with no manifest, naming both file names', async () => {
    const dir = path.join(tmp, 'empty');
    await mkdir(dir, { recursive: true });
    const r = await runCli(['validate', dir]);
    expectExit(r, 1);
    expect(r.stdout).toContain('MANIFEST_NOT_FOUND');
    expect(r.stdout).toContain('plugin.json5');
    expect(r.stdout).toContain('openclaw.plugin.json');
  });
});

describe('inspect', () => {
  test('shows a native plugin as enforcing none of its permissions', async () => {
    const r = await runCli(['inspect', 'native-echo', '--dir', EXAMPLES, '--json']);
    expectExit(r, 0);
    const info = json(r.stdout);
    expect(info).toMatchObject({ name: 'native-echo', state: 'active', sandbox: 'native', driver: '@clawdesk/host' });
    expect(info.enforcement).toMatchObject({ network: 'not-enforced', fsRead: 'not-enforced', env: 'not-enforced', memory: 'not-enforced' });
    expect(info.tools.map((t: any) => t.name)).toEqual(['echo', 'sleep', 'spin', 'crash']);
    expect(info.warnings.join('\n')).toContain('does not fully enforce');
  });

  test('shows a wasm plugin with enforced permissions and tool schemas', async () => {
    const r = await runCli(['inspect', path.join(EXAMPLES, 'weather-wasm')]);
    expectExit(r, 0);
    expect(r.stdout).toContain('via @clawdesk/sandbox-wasm');
    expect(r.stdout).toMatch(/network\s+radar\.example\.com\s+enforced/);
    expect(r.stdout).toMatch(/memory\s+16 MB\s+enforced/);
    expect(r.stdout).toContain('"required":["city"]');
  });

  test('shows a real OpenClaw plugin: its tools, hooks, what is enforced and why, and the registrations the host ignores', async () => {
    const r = await runCli(['inspect', OH_MY_OPENCLAW, '--json']);
    expectExit(r, 0);
    const info = json(r.stdout);
    expect(info).toMatchObject({ name: 'oh-my-openclaw', format: 'openclaw', sandbox: 'process', driver: '@clawdesk/openclaw', state: 'active' });
    expect(info.tools.map((t: any) => t.name)).toEqual(expect.arrayContaining(['omoc_todo_create', 'omoc_todo_list', 'omoc_checkpoint']));
    expect(info.tools.find((t: any) => t.name === 'omoc_todo_create').inputSchema.required).toEqual(['content']);
    expect(info.hooks).toEqual(expect.arrayContaining(['before_prompt_build', 'session_start', 'before_tool_call']));
    // This machine has the OS sandbox: no network at all for a plugin that asks for none.
    expect(info.enforcement.network).toBe('enforced');
    expect(info.enforcement.reasons.network).toBe('network namespace with loopback only: no network at all');
    expect(info.unsupported).toEqual(
      expect.arrayContaining([
        { kind: 'command', name: 'ralph_loop' },
        { kind: 'cli', name: 'omoc-setup' },
        { kind: 'gateway-method', name: 'oh-my-openclaw.status' },
      ]),
    );

    const human = await runCli(['inspect', OH_MY_OPENCLAW]);
    expectExit(human, 0);
    expect(human.stdout).toMatch(/network\s+none\s+enforced\s+network namespace with loopback only: no network at all/);
    expect(human.stdout).toMatch(/^Hooks \(\d+\)\n {2}.*before_prompt_build/m);
    expect(human.stdout).toMatch(/^Not supported by this host \(\d+\)/m);
    expect(human.stdout).toMatch(/^ {2}command +ralph_loop, /m);
    expect(human.stdout).toMatch(/^ {2}cli +omoc-setup$/m);
    expect(human.stdout).toMatch(/^ {2}gateway-method +oh-my-openclaw\.status$/m);
    // One fact, one mention: not again among the load warnings.
    expect(human.stdout.match(/not supported by this host/gi)).toHaveLength(1);
  });

  test('an unknown plugin name exits 1 with PLUGIN_NOT_FOUND and the names it found', async () => {
    const r = await runCli(['inspect', 'nope', '--dir', EXAMPLES, '--json']);
    expectExit(r, 1);
    expect(json(r.stdout).error).toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
    expect(r.stderr).toContain('native-echo');
  });
});

describe('call', () => {
  test.each([
    ['native-echo', 'echo'],
    ['process-echo', 'echo'],
    ['wasm-conformance', 'echo'],
  ])('%s.%s round-trips JSON arguments', async (plugin, tool) => {
    const r = await runCli(['call', plugin, tool, '{"city":"Zürich","n":[1,2]}', '--dir', EXAMPLES, '--json']);
    expectExit(r, 0);
    const result = json(r.stdout);
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent ?? JSON.parse(result.content[0].text)).toEqual({ city: 'Zürich', n: [1, 2] });
  });

  test('prints the value itself without --json', async () => {
    const r = await runCli(['call', 'weather-wasm', 'forecast', '{"city":"Oslo","days":1}', '--dir', EXAMPLES]);
    expectExit(r, 0);
    expect(JSON.parse(r.stdout)).toMatchObject({ city: 'Oslo', days: [expect.objectContaining({ day: 0 })] });
  });

  test('arguments that are not JSON exit 2', async () => {
    const r = await runCli(['call', 'native-echo', 'echo', '{oops', '--dir', EXAMPLES]);
    expectExit(r, 2);
    expect(r.stderr).toContain('the arguments are not valid JSON: ');
  });

  test('arguments that break the tool schema exit 1 with INVALID_ARGUMENTS', async () => {
    const r = await runCli(['call', 'weather-wasm', 'forecast', '{"days":9}', '--dir', EXAMPLES, '--json']);
    expectExit(r, 1);
    expect(json(r.stdout).error).toMatchObject({ code: 'INVALID_ARGUMENTS', plugin: 'weather-wasm', tool: 'forecast' });
  });

  test('an unknown tool exits 1 with its typed code', async () => {
    const r = await runCli(['call', 'native-echo', 'nope', '--dir', EXAMPLES, '--json']);
    expectExit(r, 1);
    expect(json(r.stdout).error).toMatchObject({ code: 'TOOL_NOT_FOUND', plugin: 'native-echo', tool: 'nope' });
  });

  test('a tool that reports an error exits 1 and prints the error result', async () => {
    const r = await runCli(['call', 'native-hostile', 'throws', '--dir', EXAMPLES, '--json']);
    expectExit(r, 1);
    expect(json(r.stdout).isError).toBe(true);
  });

  test('a runaway call is stopped by --timeout with the TIMEOUT code', async () => {
    const started = Date.now();
    const r = await runCli(['call', 'process-echo', 'spin', '{}', '--dir', EXAMPLES, '--timeout', '300', '--json']);
    expectExit(r, 1);
    expect(json(r.stdout).error).toMatchObject({ code: 'TIMEOUT', plugin: 'process-echo', tool: 'spin', data: { timeoutMs: 300 } });
    // Spin blocks its child for good: the CLI still ends, well before the manifest's 5 s timeout would.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('bench', () => {
  test('reports latency figures for one tool', async () => {
    const r = await runCli(['bench', 'native-echo', 'echo', '{}', '--dir', EXAMPLES, '--n', '200', '--json']);
    expectExit(r, 0);
    const [stats] = json(r.stdout).results;
    expect(stats).toMatchObject({ plugin: 'native-echo', tool: 'echo', sandbox: 'native', calls: 200 });
    expect(stats.p50Us).toBeGreaterThan(0);
    expect(stats.p99Us).toBeGreaterThanOrEqual(stats.p50Us);
    expect(stats.callsPerSecond).toBeGreaterThan(0);
  });

  test('with no plugin it says a plugin and a tool are needed', async () => {
    const r = await runCli(['bench']);
    expectExit(r, 2);
    expect(r.stderr).toContain('bench needs a plugin and a tool');
  });

  test('a tool that only reports errors is refused instead of timed', async () => {
    const r = await runCli(['bench', 'native-hostile', 'throws', '--dir', EXAMPLES, '--n', '10', '--json']);
    expectExit(r, 1);
    expect(json(r.stdout).error.code).toBe('TOOL_ERROR');
  });
});

describe('watch', () => {
  test('prints a live log of loads and reloads and stops on SIGINT', async () => {
    const dir = path.join(tmp, 'watched');
    await cp(path.join(EXAMPLES, 'native-echo'), path.join(dir, 'native-echo'), { recursive: true });
    const run = startCli(['watch', dir, '--debounce', '50']);
    try {
      await run.waitFor('watching');
      expect(run.output().stdout).toContain('native-echo: loaded → active');
      const manifest = path.join(dir, 'native-echo', 'plugin.json5');
      await writeFile(manifest, (await readFile(manifest, 'utf8')).replace("version: '1.0.0'", "version: '1.0.1'"));
      await run.waitFor('native-echo reloaded (1.0.0 → 1.0.1)');
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
    expect(run.output().stdout).toMatch(/stopped\n$/);
  });

  test('--json logs one event per line: a broken edit is a reload failure and the fix reloads', async () => {
    const dir = path.join(tmp, 'watched-json');
    await cp(path.join(EXAMPLES, 'native-echo'), path.join(dir, 'native-echo'), { recursive: true });
    const run = startCli(['watch', dir, '--debounce', '50', '--json']);
    const manifest = path.join(dir, 'native-echo', 'plugin.json5');
    const original = await readFile(manifest, 'utf8');
    try {
      await run.waitFor('"event":"watching"');
      await writeFile(manifest, original.replace("version: '1.0.0'", "version: 'one'"));
      await run.waitFor('"event":"reload-failed"');
      await writeFile(manifest, original.replace("version: '1.0.0'", "version: '1.0.2'"));
      await run.waitFor('"event":"reloaded"');
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
    const events = run.output().stdout.trim().split('\n').map((line) => json(line));
    const failed = events.find((e) => e.event === 'reload-failed');
    expect(failed).toMatchObject({ plugin: 'native-echo', message: expect.stringContaining('version') });
    expect(events.find((e) => e.event === 'reloaded')).toMatchObject({ plugin: 'native-echo', from: '1.0.0', to: '1.0.2' });
    // The broken version never replaced the running one.
    expect(events.filter((e) => e.event === 'state' && e.to === 'failed')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ event: 'stopped' });
  });
});

describe('install', () => {
  let tarball: string | undefined;
  /** native-echo packed as an npm package, once. */
  async function nativeEchoTarball(): Promise<string> {
    if (tarball) return tarball;
    const pkg = path.join(tmp, 'pkg-once');
    await cp(path.join(EXAMPLES, 'native-echo'), pkg, { recursive: true });
    await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: 'native-echo', version: '1.0.0', type: 'module' }));
    const dest = path.join(tmp, 'tgz-once');
    await mkdir(dest, { recursive: true });
    const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dest], { cwd: pkg, encoding: 'utf8' }).trim().split('\n').pop()!;
    tarball = path.join(dest, name);
    return tarball;
  }

  test('installs a plugin from a local tarball into the plugins dir with progress, and loads it', async () => {
    const pkg = path.join(tmp, 'pkg');
    await cp(path.join(EXAMPLES, 'native-echo'), pkg, { recursive: true });
    await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: 'native-echo', version: '1.0.0', type: 'module' }));
    const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: pkg, encoding: 'utf8' }).trim().split('\n').pop()!;
    const plugins = path.join(tmp, 'installed');
    await mkdir(plugins, { recursive: true });
    const r = await runCli(['install', `file:${path.join(tmp, tgz)}`, '--dir', plugins, '--json']);
    expectExit(r, 0);
    expect(json(r.stdout)).toMatchObject({ name: 'native-echo', version: '1.0.0', state: 'active', dir: path.join(plugins, 'native-echo'), tools: ['echo', 'sleep', 'spin', 'crash'] });
    expect(r.stderr).toMatch(/resolve[\s\S]*extract[\s\S]*validate[\s\S]*load/);
    const listed = await runCli(['list', plugins, '--json']);
    expect(json(listed.stdout).plugins.map((p: any) => p.name)).toEqual(['native-echo']);
  });

  test('with no --dir and no ./plugins it creates ./plugins in the working directory and installs there', async () => {
    const cwd = path.join(tmp, 'fresh-project');
    await mkdir(cwd, { recursive: true });
    const r = await runCli(['install', `file:${await nativeEchoTarball()}`, '--json'], { cwd });
    expectExit(r, 0);
    expect(json(r.stdout)).toMatchObject({ name: 'native-echo', dir: path.join(cwd, 'plugins', 'native-echo') });
    expect(await readdir(path.join(cwd, 'plugins'))).toEqual(['native-echo']);
    // Nothing landed beside the example plugins the repository ships.
    expect((await readdir(EXAMPLES)).filter((name) => name.startsWith('native-echo'))).toEqual(['native-echo']);
  });

  test('a --dir that does not exist yet is created', async () => {
    const plugins = path.join(tmp, 'not', 'yet', 'there');
    const r = await runCli(['install', `file:${await nativeEchoTarball()}`, '--dir', plugins, '--json']);
    expectExit(r, 0);
    expect(await readdir(plugins)).toEqual(['native-echo']);
  });

  test('a tarball that does not exist exits 1 and leaves the plugins dir empty', async () => {
    const plugins = path.join(tmp, 'installed-none');
    await mkdir(plugins, { recursive: true });
    const r = await runCli(['install', `file:${path.join(tmp, 'missing-1.0.0.tgz')}`, '--dir', plugins, '--json']);
    expectExit(r, 1);
    expect(json(r.stdout).error.code).toBe('NPM_NOT_FOUND');
    expect(await readdir(plugins)).toEqual([]);
  });
});
