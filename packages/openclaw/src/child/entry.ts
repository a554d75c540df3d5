import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** TypeScript entries go through jiti: Node refuses to strip types of files under `node_modules`. */
const TYPESCRIPT = /\.(?:[cm]?ts|tsx)$/;

/** Imports the plugin's entry module: `import()` for JavaScript, jiti for TypeScript. */
export async function importEntry(entry: string): Promise<unknown> {
  if (!TYPESCRIPT.test(entry)) return import(pathToFileURL(entry).href);
  const { createJiti } = await import('jiti');
  // No fs cache: the sandbox may not write outside the data dir, and a cache would outlive a reload.
  const jiti = createJiti(pathToFileURL(entry).href, { fsCache: false, moduleCache: false, interopDefault: false });
  return jiti.import(entry);
}

export type RegisterFn = (api: unknown) => unknown;

export interface FoundEntry {
  register: RegisterFn;
  /** `id`, `name`, `description` of an entry object, when it has them. */
  meta: { id?: string; name?: string; description?: string };
}

const isObject = (v: unknown): v is Record<string, unknown> => (typeof v === 'object' || typeof v === 'function') && v !== null;

/** Nested `default`s (CJS interop, `export default` of a module with a default) are searched this deep. */
const MAX_DEFAULT_DEPTH = 4;

/**
 * Finds `register`: a named `register` export, else a default export `{ id, name, register(api) }`
 * (what `definePluginEntry` returns) or a bare `register` function, possibly under nested `default`s.
 */
export function findRegister(namespace: unknown): FoundEntry | undefined {
  let current: unknown = namespace;
  for (let depth = 0; depth <= MAX_DEFAULT_DEPTH && isObject(current); depth++) {
    if (typeof current === 'function') return { register: current as RegisterFn, meta: {} };
    if (typeof current.register === 'function') {
      const meta: FoundEntry['meta'] = {};
      for (const key of ['id', 'name', 'description'] as const) {
        if (typeof current[key] === 'string') meta[key] = current[key] as string;
      }
      return { register: current.register.bind(current) as RegisterFn, meta };
    }
    current = current.default;
  }
  return undefined;
}

/** Export names for the "exports no register" error. */
export function exportNames(namespace: unknown): string[] {
  return isObject(namespace) ? Object.keys(namespace) : [];
}

export const relativeEntry = (dir: string, entry: string) => `./${path.relative(dir, entry).split(path.sep).join('/')}`;
