#!/usr/bin/env node
// The `clawdesk` executable: the only place that sets the process's exit code. main.js is loaded
// dynamically: it starts with the Node version check (@clawdesk/sandbox/require-node), and on a Node
// too old for clawdesk its UnsupportedNodeError is printed here as one line, not as a stack trace.
import { EXIT } from './errors.js'; // imports nothing itself, so it loads on any Node

try {
  const { main } = await import('./main.js');
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if ((error as { code?: unknown } | null)?.code === 'UNSUPPORTED_NODE') {
    process.stderr.write(`clawdesk: ${(error as Error).message}\n`);
    process.exitCode = EXIT.FAILURE;
  } else {
    process.stderr.write(`clawdesk: internal error, please report it:\n${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = EXIT.INTERNAL;
  }
}
