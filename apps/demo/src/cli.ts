#!/usr/bin/env node
// The demo host: the `clawdesk` CLI of @clawdesk/cli over the repository's example plugins, plus
// the scripted tour (`demo`) and a cross-sandbox `bench`. Only this file sets process.exitCode.
import { fileURLToPath } from 'node:url';
import { commands, createBenchCommand, EXIT, main, type Command } from '@clawdesk/cli';
import { demo } from './commands/demo.js';

/** The example plugins shipped in this repository (this file runs from apps/demo/dist). */
export const bundledExamples = fileURLToPath(new URL('../../../examples', import.meta.url));

/** The same `echo` through each sandbox, so the numbers compare drivers. */
const bench = createBenchCommand({ targets: [['native-echo', 'echo'], ['wasm-conformance', 'echo'], ['process-echo', 'echo']] });

const demoCommands: Command[] = [...commands.map((c) => (c.name === bench.name ? bench : c)), demo];

main(process.argv.slice(2), { commands: demoCommands, defaultDir: bundledExamples }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`clawdesk: internal error, please report it:\n${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = EXIT.INTERNAL;
  },
);
