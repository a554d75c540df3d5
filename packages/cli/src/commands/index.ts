// The registry: every command of the `clawdesk` CLI, in the order `--help` lists them.
// A new command is one file in this folder and one line here.
import type { Command } from '../command.js';
import { bench } from './bench.js';
import { call } from './call.js';
import { dev } from './dev.js';
import { init } from './init.js';
import { inspect } from './inspect.js';
import { install } from './install.js';
import { list } from './list.js';
import { serve } from './serve.js';
import { validate } from './validate.js';
import { watch } from './watch.js';

export const commands: readonly Command[] = [list, validate, inspect, call, watch, dev, serve, install, init, bench];
