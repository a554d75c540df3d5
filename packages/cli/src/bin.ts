#!/usr/bin/env node
// The `clawdesk` executable: the only place that sets the process's exit code.
import { EXIT } from './errors.js';
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`clawdesk: internal error, please report it:\n${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = EXIT.INTERNAL;
  },
);
