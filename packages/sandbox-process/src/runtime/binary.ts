import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { ProcessRuntime } from '../options.js';

/** What to tell a user whose runtime is missing. */
export const INSTALL_HINTS: Record<ProcessRuntime, string> = {
  node: 'install Node.js >= 22 (https://nodejs.org) or pass createProcessDriver({ runtimes: { node: "/path/to/node" } })',
  bun: 'install Bun (`npm install --save-dev bun` puts it in node_modules/.bin, or see https://bun.sh) or pass createProcessDriver({ runtimes: { bun: "/path/to/bun" } })',
  deno: 'install Deno (`npm install --save-dev deno` puts it in node_modules/.bin, or see https://deno.com) or pass createProcessDriver({ runtimes: { deno: "/path/to/deno" } })',
};

const isExecutable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
};

/** Finds a command the way a shell would: a path is taken as is, a bare name is searched on `PATH`. */
export function which(command: string, searchPath = process.env.PATH ?? ''): string | undefined {
  if (command.includes('/') || command.includes(path.sep)) {
    const file = path.resolve(command);
    return isExecutable(file) ? file : undefined;
  }
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, command);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

/** The host itself runs on Node (not Bun or Deno, which also set `process.versions.node`). */
const hostIsNode = () => !('bun' in process.versions) && !('Deno' in globalThis);

/** Absolute path of the runtime binary, or `undefined` when it is not installed. */
export function resolveRuntimeBinary(runtime: ProcessRuntime, configured: string | undefined): string | undefined {
  if (configured !== undefined) return which(configured);
  if (runtime === 'node' && hostIsNode()) return process.execPath;
  return which(runtime);
}
