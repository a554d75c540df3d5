import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/**
 * `dist/child/runner.js`: next to the built `dist/index.js`, or under `dist/` when this module
 * runs from `src/` (the package's own tests).
 */
export function findRunner(): string {
  const candidates = ['./child/runner.js', '../dist/child/runner.js'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`@clawdesk/openclaw: the runner is missing (looked for ${candidates.join(', ')}); build the package first`);
  return real(found);
}

/**
 * What the runner process must be able to read besides the plugin: its own directory (runner,
 * shims, chunks) and jiti, which loads TypeScript entries.
 */
export function runnerReadPaths(runner: string): string[] {
  const require = createRequire(import.meta.url);
  const jiti = path.dirname(real(require.resolve('jiti/package.json')));
  return [path.dirname(runner), jiti];
}
