import { readFile } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import vm from 'node:vm';

// The callback API: `fs/promises` leaves a FileHandle async resource behind until GC, which leak checks report.
const read = promisify(readFile);

/**
 * Loads a plugin's entry in-process, fresh on every call:
 * - ESM (`.mjs`, or `.js` under a package.json with `"type": "module"`): `import()` with a
 *   cache-busting query, so the entry re-evaluates. Modules the entry imports stay cached by Node.
 * - CJS (`.cjs`, or `.js` otherwise): `require` after deleting the plugin dir's require-cache entries.
 * - `.js` with no `"type"` in its package.json: ESM when it does not parse as CommonJS, as Node detects it.
 */
export async function loadEntry(file: string, pluginDir: string, version: number): Promise<unknown> {
  if (await isCommonJs(file)) {
    const require = createRequire(file);
    const prefix = pluginDir.endsWith(path.sep) ? pluginDir : pluginDir + path.sep;
    for (const key of Object.keys(require.cache)) if (key.startsWith(prefix)) delete require.cache[key];
    return require(file);
  }
  return import(`${pathToFileURL(file).href}?clawdesk=${version}`);
}

async function isCommonJs(file: string): Promise<boolean> {
  const ext = path.extname(file);
  if (ext === '.cjs' || ext === '.cts') return true;
  if (ext !== '.js' && ext !== '.ts') return false;
  const type = await packageType(path.dirname(file));
  if (type !== undefined) return type !== 'module';
  // No "type" field: Node detects the format from the syntax (CommonJS unless that fails to
  // parse). Do the same, or an ESM entry would be re-required, which does not re-run it.
  return parsesAsCommonJs(await read(file, 'utf8'));
}

function parsesAsCommonJs(source: string): boolean {
  try {
    vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname']);
    return true;
  } catch {
    return false;
  }
}

/** The `type` of the nearest package.json, as Node decides a `.js` file's format. */
async function packageType(dir: string): Promise<string | undefined> {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      const pkg = JSON.parse(await read(path.join(d, 'package.json'), 'utf8')) as { type?: unknown };
      return typeof pkg.type === 'string' ? pkg.type : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    }
    if (path.dirname(d) === d) return undefined;
  }
}
