import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built demo host like `npm run demo` does, from an empty working directory. */
function runDemo(args: string[], timeoutMs = 45_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: fileURLToPath(new URL('.', import.meta.url)), env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`clawdesk ${args.join(' ')} did not finish in time\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const runCli = (args: string[], opts: { timeoutMs?: number } = {}) => runDemo(args, opts.timeoutMs);
const json = (text: string) => JSON.parse(text) as Record<string, any>;
const expectExit = (r: CliRun, code: number) => expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toMatchObject({ code });

describe('the demo host', () => {
  test('offers every command of @clawdesk/cli plus demo, over the bundled examples', async () => {
    const r = await runCli(['--help']);
    expectExit(r, 0);
    for (const name of ['list', 'validate', 'inspect', 'call', 'watch', 'install', 'init', 'bench', 'demo']) expect(r.stdout).toContain(`  ${name} `);
    const listed = await runCli(['list', '--json']);
    expectExit(listed, 0);
    expect(json(listed.stdout).plugins.map((p: any) => p.name)).toEqual(expect.arrayContaining(['native-echo', 'process-echo', 'weather-wasm']));
  });
});

describe('bench', () => {
  test('with no plugin it compares echo across the three sandboxes', async () => {
    const r = await runCli(['bench', '--n', '50']);
    expectExit(r, 0);
    for (const sandbox of ['native', 'wasm', 'process']) expect(r.stdout).toMatch(new RegExp(`\\s${sandbox}\\s+echo\\s+50\\s+[\\d.]+ µs`));
  });
});

describe('demo', () => {
  test('tours every sandbox, a live reload and a contained hostile plugin in under 30 s', async () => {
    const started = Date.now();
    const r = await runCli(['demo', '--json'], { timeoutMs: 40_000 });
    expectExit(r, 0);
    const s = json(r.stdout);
    expect(s.ok).toBe(true);
    expect(s['weather-wasm.forecast']).toMatchObject({ city: 'Oslo', days: [expect.anything(), expect.anything()] });
    expect(s['process-echo.echo']).toEqual({ hello: 'from a child process', emoji: '🦀' });
    expect(s['native-echo.echo']).toEqual({ hello: 'in-process' });
    expect(s.reload).toBe('Bonjour, Ada!');
    expect(s.hostile).toMatchObject({ code: 'TIMEOUT', afterRestart: { count: 0 } });
    expect(s.hostile.elapsedMs).toBeGreaterThanOrEqual(500);
    expect(s.hostile.othersAnswered).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  test('the human tour shows each step without colour when piped', async () => {
    const r = await runCli(['demo'], { timeoutMs: 40_000 });
    expectExit(r, 0);
    expect(r.stdout).toMatch(/1\. Loading one plugin per sandbox\n {3}weather-wasm \(wasm via @clawdesk\/sandbox-wasm\)/);
    expect(r.stdout).toContain('process-echo (process via @clawdesk/sandbox-process)');
    expect(r.stdout).toContain('native-echo (native via @clawdesk/host)');
    expect(r.stdout).toMatch(/the watcher reloaded greeter → 1\.0\.0 → 1\.1\.0/);
    expect(r.stdout).toContain('greeter.greet({"who":"Ada"}) v1.1.0 → Bonjour, Ada!');
    expect(r.stdout).toMatch(/wasm-hostile\.spin\(\) → TIMEOUT/);
    expect(r.stdout).toContain('✓ tour finished');
    expect(r.stdout).not.toContain('\x1b[');
  });
});
