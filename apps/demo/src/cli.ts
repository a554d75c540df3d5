#!/usr/bin/env node
// The only module that decides exit codes and touches process.exitCode; commands return or throw.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Command } from './command.js';
import { bench } from './commands/bench.js';
import { call } from './commands/call.js';
import { demo } from './commands/demo.js';
import { inspect } from './commands/inspect.js';
import { install } from './commands/install.js';
import { list } from './commands/list.js';
import { validate } from './commands/validate.js';
import { watch } from './commands/watch.js';
import { errorCode, errorJson, EXIT, exitCodeOf, isUsageError } from './errors.js';
import { createOutput } from './output.js';

const COMMANDS: Command[] = [list, validate, inspect, call, watch, install, bench, demo];

const SHARED: NonNullable<ParseArgsConfig['options']> = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  dir: { type: 'string', short: 'd' },
  'data-dir': { type: 'string' },
};

const SHARED_HELP = [
  '--json               machine-readable output on stdout',
  '--dir, -d <dir>      plugins directory (default: ./plugins, else the bundled examples)',
  '--data-dir <dir>     where plugins keep their data (default: a temp dir, removed on exit)',
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

function usage(): string {
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

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(`${topic ? commandHelp(topic) : usage()}\n`);
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`clawdesk: unknown command "${name}"\n\n${usage()}\n`);
    return EXIT.USAGE;
  }
  const wantsJson = rest.includes('--json');
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => controller.abort(new Error(`interrupted by ${signal}`));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
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
    return await command.run({ args: positionals, flags: values as Record<string, string | boolean | undefined>, out, signal: controller.signal });
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`clawdesk: internal error, please report it:\n${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = EXIT.INTERNAL;
  },
);
