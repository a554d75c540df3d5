import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
// Resolved through the exports map by `tsc --noEmit`: the subpath must ship its own types.
import type { ServeOptions } from '@clawdesk/plugin-sdk/serve';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/**
 * Loads `specifier` by package name (as a plugin would) in a fresh Node with `import` or `require`,
 * and reports what it exports and every file URL Node loaded to get there.
 */
async function load(specifier: string, how: 'import' | 'require'): Promise<{ exports: string[]; serveType: string; loaded: string[] }> {
  const script = `
    import { createRequire, registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ load(url, context, next) { if (url.startsWith('file:')) loaded.push(url); return next(url, context); } });
    const mod = ${how === 'import' ? `await import(${JSON.stringify(specifier)})` : `createRequire(import.meta.url)(${JSON.stringify(specifier)})`};
    process.stdout.write(JSON.stringify({ exports: Object.keys(mod).sort(), serveType: typeof mod.serve, loaded }));
  `;
  // Run from the package dir: the bare name resolves through the workspace's node_modules link.
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: PACKAGE_DIR,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return JSON.parse(stdout) as { exports: string[]; serveType: string; loaded: string[] };
}

const isZod = (url: string) => url.includes('/node_modules/zod/');

describe('the @clawdesk/plugin-sdk/serve entry', () => {
  test('is in the exports map for import and require, each with its own types, and the files are built', () => {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['./serve']).toEqual({
      import: { types: './dist/serve.d.ts', default: './dist/serve.js' },
      require: { types: './dist/serve.d.cts', default: './dist/serve.cjs' },
    });
    // Checked by tsc: real types come with the subpath (were they missing or `any`, this would not be an error).
    // @ts-expect-error redirectConsole is a boolean
    const wrong: ServeOptions = { redirectConsole: 'yes' };
    void wrong;
    for (const file of ['serve.js', 'serve.cjs', 'serve.d.ts', 'serve.d.cts']) expect(existsSync(path.join(PACKAGE_DIR, 'dist', file))).toBe(true);
  });

  test.each(['import', 'require'] as const)('loads serve() without zod or the authoring helpers through %s', async (how) => {
    const { exports, serveType, loaded } = await load('@clawdesk/plugin-sdk/serve', how);
    expect(exports).toEqual(['serve']);
    expect(serveType).toBe('function');
    expect(loaded.some((url) => url.endsWith(how === 'import' ? '/dist/serve.js' : '/dist/serve.cjs'))).toBe(true);
    expect(loaded.filter(isZod)).toEqual([]);
    expect(loaded.filter((url) => /\/dist\/index\.c?js$/.test(url))).toEqual([]);
  });

  // The control for the check above: the same probe does see zod when the root entry pulls it in.
  test.each(['import', 'require'] as const)('the root entry still exports serve() beside definePlugin, and loads zod for it, through %s', async (how) => {
    const { exports, serveType, loaded } = await load('@clawdesk/plugin-sdk', how);
    expect(exports).toEqual(expect.arrayContaining(['serve', 'definePlugin', 'tool', 'hook']));
    expect(serveType).toBe('function');
    expect(loaded.some(isZod)).toBe(true);
  });
});
