import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OPENCLAW_SHIM_MODULES } from '../protocol.js';

/** A plugin imported an `openclaw/*` module the shim does not provide. */
export class ShimMissingError extends Error {
  readonly code = 'OPENCLAW_SHIM_MISSING';
  constructor(readonly module: string) {
    super(
      `imports "${module}", which clawdesk's OpenClaw shim does not provide (it provides: ${Object.keys(OPENCLAW_SHIM_MODULES).join(', ')})`,
    );
    this.name = 'ShimMissingError';
  }
}

const isOpenClaw = (specifier: string) => specifier === 'openclaw' || specifier.startsWith('openclaw/');

/** jiti probes `x.mjs`, `x/index.ts`… after `x` fails; all of them name the same module. */
export function normalizeSpecifier(specifier: string): string {
  return specifier.replace(/\/index\.[cm]?[jt]sx?$/, '').replace(/\.[cm]?[jt]sx?$/, '').replace(/\.json$/, '');
}

export interface ShimState {
  /** `openclaw/*` modules asked for and not provided, in the order first asked. */
  readonly missing: string[];
}

/**
 * Routes `openclaw/*` imports to the shim files in `shimDir`, for `import()`, `require()` and
 * jiti alike (all go through Node's resolver, which `module.registerHooks` customizes in-thread).
 */
export function installShim(shimDir: string): ShimState {
  const state: ShimState = { missing: [] };
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      if (!isOpenClaw(specifier)) return nextResolve(specifier, context);
      const name = normalizeSpecifier(specifier);
      const file = Object.hasOwn(OPENCLAW_SHIM_MODULES, name) ? OPENCLAW_SHIM_MODULES[name] : undefined;
      if (file === undefined) {
        if (!state.missing.includes(name)) state.missing.push(name);
        throw new ShimMissingError(name);
      }
      return { url: pathToFileURL(path.join(shimDir, file)).href, format: 'module', shortCircuit: true };
    },
  });
  return state;
}
