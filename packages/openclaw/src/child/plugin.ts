import { randomUUID } from 'node:crypto';
import type { ModuleTool, PluginModule } from '@clawdesk/sandbox';
import type { RunnerConfig, UnsupportedRegistration } from '../protocol.js';
import { createApi, resolveToolFactories, type ApiEnv } from './api.js';
import { DEFAULT_REGISTER_WAIT_MS } from './config.js';
import { exportNames, findRegister, importEntry, relativeEntry } from './entry.js';
import { ShimMissingError, type ShimState } from './shim-hook.js';
import { ServiceRunner } from './services.js';
import { toJsonSchema, toToolResult, type OpenClawTool } from './tools.js';
import type { LoadFailure } from './wire.js';

/** Loading failed for a reason the host should show as is. */
export class PluginLoadError extends Error {
  constructor(
    message: string,
    readonly failure: LoadFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PluginLoadError';
  }
}

export interface LoadedPlugin {
  module: PluginModule;
  services: ServiceRunner;
  unsupported: UnsupportedRegistration[];
}

/** Whether `promise` fulfils within `ms`; rethrows its rejection. */
async function settlesWithin(promise: PromiseLike<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([Promise.resolve(promise).then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

const describeError = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

function toModuleTool(tool: OpenClawTool): ModuleTool {
  return {
    description: tool.description ?? tool.label ?? '',
    inputSchema: toJsonSchema(tool.parameters),
    async run(args, ctx) {
      // Progress updates have no channel to the host yet; they are dropped.
      return toToolResult(await tool.execute(`clawdesk-${randomUUID()}`, args, ctx.signal, () => undefined));
    },
  };
}

/**
 * Imports the entry, calls `register(api)` once, and turns what it registered into a
 * `PluginModule` for plugin-sdk's `serve()`. Every failure is a `PluginLoadError` naming its cause.
 */
export async function loadPlugin(config: RunnerConfig, env: ApiEnv, shim: ShimState): Promise<LoadedPlugin> {
  const entryName = relativeEntry(config.dir, config.entry);
  let namespace: unknown;
  try {
    namespace = await importEntry(config.entry);
  } catch (error) {
    const missing = error instanceof ShimMissingError ? error.module : shim.missing[0];
    if (missing !== undefined) throw new PluginLoadError(new ShimMissingError(missing).message, { reason: 'missing-module', module: missing }, { cause: error });
    throw new PluginLoadError(`could not load its entry ${entryName}: ${describeError(error)}`, { reason: 'entry-failed' }, { cause: error });
  }

  const found = findRegister(namespace);
  if (!found) {
    const names = exportNames(namespace);
    throw new PluginLoadError(
      `its entry ${entryName} exports no register function: expected a default export { id, register(api) } (definePluginEntry) or a register(api) function (exports: ${names.join(', ') || 'none'})`,
      { reason: 'no-register' },
    );
  }

  if (found.meta.id !== undefined && found.meta.id !== config.id) {
    env.log('warn', `the entry says id "${found.meta.id}" but openclaw.plugin.json says "${config.id}"; clawdesk uses the manifest's`);
  }
  const { api, registrations, seal } = createApi(env);
  try {
    const result = found.register(api);
    // OpenClaw ignores a promise from register; awaiting it (for a while) catches its rejection and late registrations.
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      const waitMs = config.registerWaitMs ?? DEFAULT_REGISTER_WAIT_MS;
      if (!(await settlesWithin(result as PromiseLike<unknown>, waitMs))) {
        env.log('warn', `register(api) returned a promise that did not settle within ${waitMs} ms; serving what it registered until then`);
      }
    }
  } catch (error) {
    throw new PluginLoadError(`register(api) threw ${describeError(error)}`, { reason: 'register-threw' }, { cause: error });
  } finally {
    seal();
  }
  try {
    await resolveToolFactories(registrations, env);
  } catch (error) {
    throw new PluginLoadError(`a registerTool factory failed: ${describeError(error)}`, { reason: 'invalid-registration' }, { cause: error });
  }

  const hookEnv = {
    baseContext: { pluginId: config.id, workspaceDir: env.dataDir },
    logError: (message: string) => env.log('error', message),
  };
  const module: PluginModule = {
    name: config.id,
    tools: Object.fromEntries([...registrations.tools].map(([name, tool]) => [name, toModuleTool(tool)])),
    hooks: registrations.hooks.toModuleHooks(hookEnv),
  };
  const services = new ServiceRunner(
    registrations.services,
    { config: {}, workspaceDir: env.dataDir, stateDir: env.dataDir, logger: api.logger },
    (message) => env.log('error', message),
  );
  return { module, services, unsupported: registrations.unsupported };
}
