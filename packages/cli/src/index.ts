// The public API of @clawdesk/cli, for host apps that embed the `clawdesk` command line or add
// commands of their own (the `clawdesk` executable itself is bin.ts).
// First, before any dependency loads: on a Node too old for clawdesk this throws UnsupportedNodeError.
import '@clawdesk/sandbox/require-node';
export { main } from './main.js';
export type { CliOptions } from './main.js';

export { commands } from './commands/index.js';
export { createBenchCommand } from './commands/bench.js';
export type { BenchDefaults } from './commands/bench.js';

export { intFlag, jsonArgs, stringFlag } from './command.js';
export type { Command, CommandContext } from './command.js';

export { CliError, EXIT, UsageError, errorCode } from './errors.js';

export { createOutput, table } from './output.js';
export type { Output } from './output.js';

export { installDir, loadOne, lookupDirs, openHost, pluginsDir, withHost } from './host.js';
export type { HostSession, OpenHostOptions } from './host.js';
