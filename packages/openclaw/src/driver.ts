import path from 'node:path';
import type { PluginManifest } from '@clawdesk/manifest';
import { isSandboxError, LoadFailedError, type InstantiateOptions, type Logger, type SandboxContext, type SandboxDriver } from '@clawdesk/sandbox';
import { createProcessDriver, DEFAULT_START_TIMEOUT_MS } from '@clawdesk/sandbox-process';
import { OpenClawInstance } from './instance.js';
import { resolveOptions, type OpenClawDriverOptions } from './options.js';
import { findRunner, runnerReadPaths } from './paths.js';
import { grantedPermissions } from './permissions.js';
import { validatePluginConfig } from './plugin-config.js';
import { UNSUPPORTED_LOG_FIELD, type RunnerConfig, type UnsupportedRegistration } from './protocol.js';
import { OPENCLAW_LOAD_FAILED } from './child/wire.js';

export const PACKAGE_NAME = '@clawdesk/openclaw';

/** The driver's own view of a plugin: its instance exposes the runner's `pid`. */
export interface OpenClawDriver extends SandboxDriver {
  instantiate(manifest: PluginManifest, ctx: SandboxContext, opts?: InstantiateOptions): Promise<OpenClawInstance>;
}

/**
 * Runs OpenClaw plugins (`openclaw.plugin.json`, JavaScript or TypeScript entry) unmodified in the
 * process sandbox: the process driver starts clawdesk's runner with the plugin's permissions, and
 * the runner loads the plugin, calls its `register(api)` and serves what it registered.
 * Put it before `createProcessDriver()` in `createHost({ drivers })`: the host takes the first driver that supports a plugin.
 */
export function createOpenClawDriver(options: OpenClawDriverOptions = {}): OpenClawDriver {
  const config = resolveOptions(options);
  const processDriver = createProcessDriver(config.process);
  let runner: { file: string; reads: string[] } | undefined;

  /** The manifest the process driver sees: the operator's grants applied, the runner as entry. */
  const launchManifest = (manifest: PluginManifest): PluginManifest => {
    runner ??= (() => {
      const file = findRunner();
      return { file, reads: runnerReadPaths(file) };
    })();
    const permissions = grantedPermissions(manifest, config.permissions[manifest.name]);
    return {
      ...manifest,
      sandbox: 'process',
      entry: runner.file,
      permissions: { ...permissions, fs: { ...permissions.fs, read: [...permissions.fs.read, ...runner.reads] } },
    };
  };

  return {
    kind: 'process',
    packageName: PACKAGE_NAME,
    supports: (manifest) => manifest.format === 'openclaw' && manifest.runtime === 'node',
    enforcement: (manifest) =>
      processDriver.enforcement({ ...manifest, sandbox: 'process', permissions: grantedPermissions(manifest, config.permissions[manifest.name]) }),
    async instantiate(manifest, ctx, opts = {}) {
      const where = { plugin: manifest.name, driver: 'process' };
      if (manifest.format !== 'openclaw' || manifest.runtime !== 'node') {
        throw new LoadFailedError(`${PACKAGE_NAME} runs OpenClaw plugins (openclaw.plugin.json, runtime node); this plugin has format "${manifest.format}", runtime "${manifest.runtime}"`, where);
      }
      const runnerConfig: RunnerConfig = {
        entry: path.resolve(manifest.dir, manifest.entry),
        dir: manifest.dir,
        id: manifest.name,
        name: manifest.displayName ?? manifest.name,
        description: manifest.description,
        version: manifest.version,
        pluginConfig: validatePluginConfig(manifest, ctx.config),
        // Half the start budget: a register() promise that never settles leaves time to serve what it registered.
        registerWaitMs: Math.floor((opts.startTimeoutMs ?? manifest.startTimeoutMs ?? config.process.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS) / 2),
      };
      let unsupported: readonly UnsupportedRegistration[] = [];
      const logger = watchUnsupported(ctx.logger, (list) => (unsupported = list));
      const launched = launchManifest(manifest);
      const runnerCtx: SandboxContext = {
        manifest: launched,
        dataDir: ctx.dataDir,
        config: runnerConfig as unknown as Record<string, unknown>,
        logger,
        browserDownload: (url, o) => ctx.browserDownload(url, o),
      };
      try {
        const inner = await processDriver.instantiate(launched, runnerCtx, opts);
        return new OpenClawInstance(inner, () => unsupported);
      } catch (error) {
        throw fromRunner(error, where);
      }
    },
  };
}

/**
 * Passes every line on except the runner's report of unsupported registrations, which it keeps for
 * `describe().unsupported`: the host warns about those from there, so one fact is one warning.
 */
function watchUnsupported(logger: Logger, keep: (list: UnsupportedRegistration[]) => void): Logger {
  return {
    debug: (m, f) => logger.debug(m, f),
    info: (m, f) => logger.info(m, f),
    error: (m, f) => logger.error(m, f),
    warn(message, fields) {
      const list = fields?.[UNSUPPORTED_LOG_FIELD];
      if (!Array.isArray(list)) return logger.warn(message, fields);
      keep(list.filter((u): u is UnsupportedRegistration => typeof u?.kind === 'string' && typeof u?.name === 'string'));
    },
  };
}

/** The runner's own load failure, without the process driver's "the handshake failed" wrapping; `data` says why. */
function fromRunner(error: unknown, where: { plugin: string; driver: string }): unknown {
  if (!isSandboxError(error) || error.code !== 'LOAD_FAILED' || error.data.rpcCode !== OPENCLAW_LOAD_FAILED) return error;
  const cause = error.cause as { message?: unknown; data?: unknown } | undefined;
  const detail = typeof cause?.message === 'string' ? cause.message : error.message;
  const data = typeof cause?.data === 'object' && cause.data !== null ? (cause.data as Record<string, unknown>) : {};
  return new LoadFailedError(detail, { ...where, cause: error, data });
}
