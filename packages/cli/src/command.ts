import type { ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';
import type { Output } from './output.js';

export interface CommandContext {
  /** Positional arguments after the command name. */
  args: string[];
  /** Parsed flags (the shared ones included). */
  flags: Record<string, string | boolean | undefined>;
  out: Output;
  /** Aborted on SIGINT/SIGTERM: long-running commands end cleanly. */
  signal: AbortSignal;
  /** The host app's bundled plugins dir, used when there is no `--dir` and no `./plugins` (read-only). */
  defaultDir?: string | undefined;
}

export interface Command {
  name: string;
  usage: string;
  summary: string;
  /** Extra flags besides the shared --json, --help, --dir, --data-dir. */
  options?: ParseArgsConfig['options'];
  /** Lines describing the flags, for --help. */
  help?: string[];
  /** Example invocations, for --help. */
  examples?: string[];
  /** Resolves to the exit code; failures throw (cli.ts maps them to exit codes). */
  run(ctx: CommandContext): Promise<number>;
}

/** A string flag's value (parseArgs already checked its type). */
export function stringFlag(flags: CommandContext['flags'], name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** An integer flag `>= min`, else a usage error naming the flag and what arrived. */
export function intFlag(flags: CommandContext['flags'], name: string, min: number): number | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${text}"`);
  return value;
}

/** Parses a tool's JSON arguments from the command line (default `{}`), else a usage error. */
export function jsonArgs(text: string | undefined): unknown {
  if (text === undefined) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the arguments are not valid JSON: ${(error as Error).message}`);
  }
}
