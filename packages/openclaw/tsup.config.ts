import { defineConfig } from 'tsup';

export default defineConfig([
  // The host-side library: what `import '@clawdesk/openclaw'` loads.
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    // The child build below owns dist/child; both builds run at once, so neither may clean the other's files.
    clean: ['!child', '!child/**'],
    target: 'node22',
    // `import.meta.url` (to find the runner) in the CJS build too.
    shims: true,
  },
  // The child side, started by path: the runner and the `openclaw/*` shims it maps imports to.
  // plugin-sdk's zod-free `serve` subpath is bundled in, so the sandboxed child reads only dist/child and jiti.
  {
    entry: { runner: 'src/runner.ts', 'shim/plugin-sdk': 'src/shim/plugin-sdk.ts', 'shim/core': 'src/shim/core.ts', 'shim/plugin-entry': 'src/shim/plugin-entry.ts' },
    format: ['esm'],
    outDir: 'dist/child',
    target: 'node22',
    clean: true,
    noExternal: ['@clawdesk/plugin-sdk'],
    external: ['jiti'],
  },
]);
