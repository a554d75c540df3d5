// The dispatcher: parses the command line, runs one command, maps its outcome to an exit code.
// It never exits the process itself (bin.ts sets process.exitCode), so host apps can embed it.
// First, before any dependency loads: on a Node too old for clawdesk this throws UnsupportedNodeError.
import '@clawdesk/sandbox/require-node';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Command } from './command.js';
import { commands as defaultCommands } from './commands/index.js';
import { errorCode, errorJson, EXIT, exitCodeOf, isUsageError } from './errors.js';
import { createOutput } from './output.js';

export interface CliOptions {
  /** The commands to offer, in help order (default: every command of `@clawdesk/cli`). */
  commands?: readonly Command[];
  /**
   * The plugins directory when there is no `--dir` and no `./plugins` (a host app's bundled plugins).
   * Only read: `install` never writes there.
   */
  defaultDir?: string;
}

const SHARED: NonNullable<ParseArgsConfig['options']> = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  dir: { type: 'string', short: 'd' },
  'data-dir': { type: 'string' },
  config: { type: 'string' },
};

const SHARED_HELP = [
  '--json               machine-readable output on stdout',
  '--dir, -d <dir>      plugins directory (default: ./plugins)',
  '--data-dir <dir>     where plugins keep their data (default: a temp dir, removed on exit)',
  '--config <file>      operator settings per plugin: config, grants, env values, remote headers',
  '                     (default: ./clawdesk.config.json5 when it exists)',
  '--help, -h           this help',
];

const EXIT_HELP = [
  `${EXIT.OK}    success`,
  `${EXIT.FAILURE}    the command failed (invalid manifest, load failure, tool error, timeout…)`,
  `${EXIT.USAGE}    wrong command line`,
  `${EXIT.INTERNAL}   a bug in clawdesk`,
  '130  interrupted (Ctrl-C)',
];

/** Exit code of a command stopped by SIGINT/SIGTERM (128 + SIGINT). */
const INTERRUPTED = 130;

function usage(COMMANDS: readonly Command[]): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    'clawdesk — run sandboxed, hot-reloadable agent plugins',
    '',
    'Usage: clawdesk <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    ...SHARED_HELP.map((l) => `  ${l}`),
    '',
    'Exit codes:',
    ...EXIT_HELP.map((l) => `  ${l}`),
    '',
    "Run `clawdesk <command> --help` for a command's options.",
  ].join('\n');
}

function commandHelp(c: Command): string {
  return [
    `Usage: clawdesk ${c.usage}`,
    '',
    c.summary,
    ...(c.examples?.length ? ['', 'Examples:', ...c.examples.map((e) => `  ${e}`)] : []),
    '',
    'Options:',
    ...[...(c.help ?? []), ...SHARED_HELP].map((l) => `  ${l}`),
  ].join('\n');
}

/** Runs one command line (without `node` and the script) and resolves to its exit code; writes to stdout/stderr. */
export async function main(argv: readonly string[], options: CliOptions = {}): Promise<number> {
  const COMMANDS = options.commands ?? defaultCommands;
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(`${topic ? commandHelp(topic) : usage(COMMANDS)}\n`);
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`clawdesk: unknown command "${name}"\n\n${usage(COMMANDS)}\n`);
    return EXIT.USAGE;
  }
  const wantsJson = rest.includes('--json');
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => controller.abort(new Error(`interrupted by ${signal}`));
  // `on`, not `once`: execa's signal-exit re-raises a signal when no other listener is left, which
  // killed the CLI mid-cleanup whenever a process plugin was running.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...SHARED, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${commandHelp(command)}\n`);
      return EXIT.OK;
    }
    const out = createOutput(Boolean(values.json));
    return await command.run({
      args: positionals,
      flags: values as Record<string, string | boolean | undefined>,
      out,
      signal: controller.signal,
      defaultDir: options.defaultDir,
    });
  } catch (error) {
    const interrupted = controller.signal.aborted;
    if (wantsJson) process.stdout.write(`${JSON.stringify({ error: errorJson(error) }, null, 2)}\n`);
    const message = error instanceof Error ? error.message : String(error);
    const internal = errorCode(error) === 'INTERNAL' && !interrupted;
    process.stderr.write(`clawdesk ${name}: ${internal ? `internal error, please report it:\n${(error as Error)?.stack ?? message}` : message}\n`);
    if (isUsageError(error)) process.stderr.write(`\n${commandHelp(command)}\n`);
    return interrupted ? INTERRUPTED : exitCodeOf(error);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
