import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
export const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));
/** A real OpenClaw plugin, installed as a root devDependency. */
export const OH_MY_OPENCLAW = fileURLToPath(new URL('../../../node_modules/@happycastle/oh-my-openclaw', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };

/** Runs the built CLI like a user would, with the same Node as the tests. `env` replaces the (colourless) default. */
export function runCli(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? EXAMPLES, env: opts.env ?? env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`clawdesk ${args.join(' ')} did not finish in time\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running command; `waitFor` resolves when stdout contains the text (and rejects if the CLI exits first). */
export function startCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const child: ChildProcess = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? EXAMPLES, env: opts.env ?? env });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<{ text: string; settle: (error?: Error) => void }>();
  child.stdout!.on('data', (d) => {
    stdout += d;
    for (const w of waiters) if (stdout.includes(w.text)) w.settle();
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      for (const w of waiters) w.settle(new Error(`clawdesk exited (${code}) before printing "${w.text}":\n${stdout}\n${stderr}`));
      resolve(code);
    }),
  );
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    waitFor(text: string, timeoutMs = 20_000): Promise<void> {
      if (stdout.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = {
          text,
          settle: (error?: Error) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            if (error) reject(error);
            else resolve();
          },
        };
        const timer = setTimeout(() => waiter.settle(new Error(`no "${text}" within ${timeoutMs} ms:\n${stdout}\n${stderr}`)), timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}
