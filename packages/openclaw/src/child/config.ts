import type { RunnerConfig } from '../protocol.js';

/** Without a budget from the driver: half the process driver's default start budget. */
export const DEFAULT_REGISTER_WAIT_MS = 5_000;

export interface RunnerStart {
  config: RunnerConfig;
  dataDir: string;
}

/** Reads the runner's config and data dir from `initialize`; a string naming the problem when they are not there. */
export function readRunnerStart(params: Record<string, unknown>): RunnerStart | string {
  const ours = (params.capabilities as { experimental?: { clawdesk?: { config?: unknown; dataDir?: unknown } } } | undefined)?.experimental?.clawdesk;
  const config = ours?.config as Partial<RunnerConfig> | undefined;
  const dataDir = typeof ours?.dataDir === 'string' ? ours.dataDir : '';
  if (typeof config?.entry !== 'string' || typeof config.dir !== 'string' || typeof config.id !== 'string') {
    return 'the OpenClaw runner needs capabilities.experimental.clawdesk.config { entry, dir, id } in "initialize" (start it through @clawdesk/openclaw\'s driver)';
  }
  return {
    dataDir,
    config: {
      entry: config.entry,
      dir: config.dir,
      id: config.id,
      name: typeof config.name === 'string' ? config.name : config.id,
      description: typeof config.description === 'string' ? config.description : '',
      version: typeof config.version === 'string' ? config.version : '0.0.0',
      pluginConfig: typeof config.pluginConfig === 'object' && config.pluginConfig !== null ? config.pluginConfig : {},
      registerWaitMs: typeof config.registerWaitMs === 'number' && config.registerWaitMs >= 0 ? config.registerWaitMs : DEFAULT_REGISTER_WAIT_MS,
    },
  };
}
