/** Authoring helpers for clawdesk plugins written in TypeScript. Every export here is public API. */
export { definePlugin, hook, tool } from './define.js';
export type { Hook, HookSpec, Plugin, PluginSpec, Tool, ToolSpec } from './define.js';

export { InvalidInputError, PluginDefinitionError } from './errors.js';
export type { InputProblem } from './errors.js';

// Contract types from @clawdesk/sandbox, so plugin authors import from one package.
export type {
  DownloadResult,
  Logger,
  ModuleHook,
  ModuleTool,
  PluginCallContext,
  PluginModule,
  ToolContent,
  ToolResult,
} from '@clawdesk/sandbox';

// Also at `@clawdesk/plugin-sdk/serve`, without zod; kept here so existing imports keep working.
export { serve, type ServeHandle, type ServeOptions } from './serve.js';
