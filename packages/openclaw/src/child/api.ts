import os from 'node:os';
import path from 'node:path';
import { format } from 'node:util';
import type { LogLevel } from '@clawdesk/sandbox';
import type { RunnerConfig, UnsupportedKind, UnsupportedRegistration } from '../protocol.js';
import { HookTable } from './hooks.js';
import { checkService, type OpenClawService } from './services.js';
import { checkTool, type OpenClawTool } from './tools.js';

type Fn = (...args: any[]) => unknown;

/** What `register(api)` left behind. */
export interface Registrations {
  tools: Map<string, OpenClawTool>;
  /** `registerTool(factory)`: resolved by `resolveToolFactories` once `register` returned. */
  factories: { factory: Fn; names: string[] }[];
  hooks: HookTable;
  services: OpenClawService[];
  unsupported: UnsupportedRegistration[];
}

export interface ApiEnv {
  config: RunnerConfig;
  /** The plugin's private, writable directory (also its working directory and `HOME`). */
  dataDir: string;
  log(level: LogLevel, message: string): void;
}

export interface CreatedApi {
  /** The object `register` receives: a plain object whose methods are own properties (plugins spread it). */
  api: Record<string, unknown>;
  registrations: Registrations;
  /** After `register` returned: later registrations are refused with a warning. */
  seal(): void;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const field = (v: unknown, key: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined);

/** Log lines as OpenClaw plugins write them: `logger.error('failed:', err)`. */
const formatArgs = (args: unknown[]) => format(...args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : a)));

function addTool(registrations: Registrations, value: unknown, where: string): void {
  const tool = checkTool(value, where);
  if (registrations.tools.has(tool.name)) throw new Error(`${where}: a tool named "${tool.name}" is already registered`);
  registrations.tools.set(tool.name, tool);
}

/**
 * Builds the OpenClaw plugin API for one plugin. Methods close over their state instead of using
 * `this`, so `{ ...api, registerHook }` (a pattern real plugins use) keeps working.
 */
export function createApi(env: ApiEnv): CreatedApi {
  const { config, dataDir } = env;
  const registrations: Registrations = { tools: new Map(), factories: [], hooks: new HookTable(), services: [], unsupported: [] };
  let sealed = false;

  const logger = {
    debug: (...args: unknown[]) => env.log('debug', formatArgs(args)),
    info: (...args: unknown[]) => env.log('info', formatArgs(args)),
    warn: (...args: unknown[]) => env.log('warn', formatArgs(args)),
    error: (...args: unknown[]) => env.log('error', formatArgs(args)),
  };

  /** Registrations after `register` returned are ignored, as in OpenClaw. */
  const open = (method: string) => {
    if (sealed) env.log('warn', `${method} called after register() returned; ignored`);
    return !sealed;
  };

  const unsupported = (kind: UnsupportedKind, method: string, name: (...args: any[]) => unknown) =>
    (...args: unknown[]) => {
      if (!open(method)) return;
      const names = [name(...args)].flat().map((n) => str(n) ?? '(unnamed)');
      for (const n of names) registrations.unsupported.push({ kind, name: n });
    };

  const resolvePath = (input: string) => {
    if (input === '~' || input.startsWith('~/')) return path.join(os.homedir(), input.slice(1));
    return path.resolve(dataDir, input);
  };

  const api: Record<string, unknown> = {
    id: config.id,
    name: config.name,
    version: config.version,
    description: config.description,
    source: config.entry,
    rootDir: config.dir,
    registrationMode: 'full',
    /** OpenClaw's whole gateway config: clawdesk has none to share. */
    config: {},
    pluginConfig: config.pluginConfig,
    logger,
    runtime: {
      version: 'clawdesk',
      system: {
        enqueueSystemEvent: (text: unknown, opts?: unknown) =>
          env.log('info', `system event${str(field(opts, 'sessionKey')) ? ` for ${String(field(opts, 'sessionKey'))}` : ''}: ${String(text)}`),
      },
      state: { resolveStateDir: () => dataDir },
    },
    resolvePath,

    registerTool(toolOrFactory: unknown, opts?: unknown) {
      if (!open('registerTool')) return;
      if (typeof toolOrFactory === 'function') {
        const names = [field(opts, 'name'), field(opts, 'names')].flat().filter((n): n is string => typeof n === 'string');
        registrations.factories.push({ factory: toolOrFactory as Fn, names });
        return;
      }
      addTool(registrations, toolOrFactory, 'registerTool');
    },
    on(hookName: unknown, handler: unknown, opts?: unknown) {
      if (!open('on')) return;
      if (typeof hookName !== 'string' || hookName === '') throw new TypeError('on: the hook name must be a non-empty string');
      if (typeof handler !== 'function') throw new TypeError(`on("${hookName}"): the handler must be a function`);
      const priority = field(opts, 'priority');
      registrations.hooks.add(hookName, { kind: 'typed', fn: handler as Fn, priority: typeof priority === 'number' ? priority : 0 });
    },
    registerHook(events: unknown, handler: unknown, meta?: unknown) {
      if (!open('registerHook')) return;
      const names = [events].flat();
      if (names.length === 0 || !names.every((n) => typeof n === 'string' && n !== '')) {
        throw new TypeError('registerHook: events must be a non-empty string or an array of them');
      }
      if (typeof handler !== 'function') throw new TypeError(`registerHook(${JSON.stringify(events)}): the handler must be a function`);
      const label = str(field(meta, 'name'));
      for (const name of names as string[]) registrations.hooks.add(name, { kind: 'internal', fn: handler as Fn, priority: 0, ...(label ? { label } : {}) });
    },
    registerService(service: unknown) {
      if (!open('registerService')) return;
      registrations.services.push(checkService(service));
    },

    registerCommand: unsupported('command', 'registerCommand', (cmd) => field(cmd, 'name')),
    registerCli: unsupported('cli', 'registerCli', (_registrar, opts) => {
      const commands = field(opts, 'commands');
      return Array.isArray(commands) && commands.length > 0 ? commands : '(cli)';
    }),
    registerGatewayMethod: unsupported('gateway-method', 'registerGatewayMethod', (method) => method),
    registerHttpRoute: unsupported('http-route', 'registerHttpRoute', (route) => field(route, 'path')),
    registerHttpHandler: unsupported('http-handler', 'registerHttpHandler', () => '(handler)'),
    registerChannel: unsupported('channel', 'registerChannel', (reg) => field(field(reg, 'plugin'), 'id') ?? field(reg, 'id')),
    registerProvider: unsupported('provider', 'registerProvider', (p) => field(p, 'id')),
    registerContextEngine: unsupported('context-engine', 'registerContextEngine', (id) => id),
    registerSpeechProvider: unsupported('speech-provider', 'registerSpeechProvider', (p) => field(p, 'id')),
    registerImageGenerationProvider: unsupported('image-generation-provider', 'registerImageGenerationProvider', (p) => field(p, 'id')),
    registerMediaUnderstandingProvider: unsupported('media-understanding-provider', 'registerMediaUnderstandingProvider', (p) => field(p, 'id')),
    registerWebSearchProvider: unsupported('web-search-provider', 'registerWebSearchProvider', (p) => field(p, 'id')),
    registerMemoryEmbeddingProvider: unsupported('memory-embedding-provider', 'registerMemoryEmbeddingProvider', (p) => field(p, 'id')),
    registerInteractiveHandler: unsupported('interactive-handler', 'registerInteractiveHandler', (h) => field(h, 'namespace') ?? field(h, 'id')),
  };

  return {
    api,
    registrations,
    seal: () => {
      sealed = true;
    },
  };
}

/**
 * Calls each `registerTool(factory)` once with a minimal tool context (OpenClaw calls factories per
 * agent run with `{ config, workspaceDir, agentId, sessionKey… }`). A factory may return a tool, an
 * array of tools, or nothing (it opted out); a name it promised but did not return is logged.
 */
export async function resolveToolFactories(registrations: Registrations, env: ApiEnv): Promise<void> {
  const context = { config: {}, workspaceDir: env.dataDir, pluginConfig: env.config.pluginConfig };
  for (const { factory, names } of registrations.factories) {
    const produced = [await factory(context)].flat().filter((t) => t !== undefined && t !== null);
    for (const tool of produced) addTool(registrations, tool, 'registerTool factory');
    const missing = names.filter((n) => !produced.some((t) => field(t, 'name') === n));
    if (missing.length > 0) env.log('warn', `registerTool factory did not return the tools it named: ${missing.join(', ')}`);
  }
}
