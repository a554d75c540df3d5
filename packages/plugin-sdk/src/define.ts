import type { ModuleHook, ModuleTool, PluginCallContext, PluginModule } from '@clawdesk/sandbox';
import { z } from 'zod';
import { InvalidInputError, PluginDefinitionError } from './errors.js';
import { problemsOf, toInputSchema } from './schema.js';

/** A tool as its author writes it: `args` are typed from the zod `input` schema. */
export interface ToolSpec<S extends z.ZodType<Record<string, unknown>>, R> {
  /** What the tool does, for the model. */
  description: string;
  /** The arguments; default `z.object({})` (no arguments). */
  input?: S;
  run(args: z.output<S>, ctx: PluginCallContext): R | Promise<R>;
}

/** A defined tool: a `ModuleTool` whose `run` validates its arguments before calling the author's. */
export interface Tool<S extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>, R = unknown> extends ModuleTool {
  readonly description: string;
  readonly input: S;
  /** JSON Schema generated from `input`. */
  readonly inputSchema: Record<string, unknown>;
  /** Rejects with `InvalidInputError` listing every failing path when `args` do not match `input`. */
  run(args: unknown, ctx: PluginCallContext): Promise<Awaited<R>>;
}

/** A hook as its author writes it; `payload` is typed from the optional zod `input` schema. */
export interface HookSpec<S extends z.ZodType, R> {
  input?: S;
  run(payload: z.output<S>, ctx: PluginCallContext): R | Promise<R>;
}

export type Hook<R = unknown> = (payload: unknown, ctx: PluginCallContext) => Promise<Awaited<R>>;

export interface PluginSpec<T extends Record<string, ModuleTool>, H extends Record<string, ModuleHook>> {
  /** The plugin's name; the manifest's `name` should match. */
  name: string;
  tools: T;
  hooks?: H;
}

/** What `definePlugin` returns: a `PluginModule` the native driver loads and `serve()` exposes. */
export interface Plugin<T extends Record<string, ModuleTool> = Record<string, ModuleTool>, H extends Record<string, ModuleHook> = Record<string, ModuleHook>>
  extends PluginModule {
  readonly name: string;
  readonly tools: Readonly<T>;
  readonly hooks: Readonly<H>;
}

/** Where a validator reports from; `definePlugin` re-binds each tool and hook with its names. */
interface Where {
  plugin?: string;
  target?: string;
}

const toolSpecs = new WeakMap<object, ToolSpec<z.ZodType<Record<string, unknown>>, unknown>>();
const hookSpecs = new WeakMap<object, HookSpec<z.ZodType, unknown>>();

const NO_ARGUMENTS = z.object({});
/** MCP's advice for tool names; also safe as wasm export names. */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export function tool<S extends z.ZodType<Record<string, unknown>> = typeof NO_ARGUMENTS, R = unknown>(spec: ToolSpec<S, R>): Tool<S, R> {
  const input = (spec.input ?? NO_ARGUMENTS) as S;
  const problems = specProblems(spec, 'tool');
  if (problems.length > 0) throw new PluginDefinitionError(problems);
  const made: Tool<S, R> = {
    description: spec.description,
    input,
    inputSchema: toInputSchema(input, `the tool described as ${JSON.stringify(spec.description)}`),
    run: toolRunner(spec, input, {}),
  };
  toolSpecs.set(made, spec as ToolSpec<z.ZodType<Record<string, unknown>>, unknown>);
  return made;
}

export function hook<S extends z.ZodType = z.ZodUnknown, R = unknown>(spec: HookSpec<S, R>): Hook<R> {
  const problems = specProblems(spec, 'hook');
  if (problems.length > 0) throw new PluginDefinitionError(problems);
  const made = hookRunner(spec, {});
  hookSpecs.set(made, spec as HookSpec<z.ZodType, unknown>);
  return made;
}

/**
 * Checks a plugin definition and returns it as a `PluginModule`. Tools made with `tool()` and hooks
 * made with `hook()` are bound to their names, so validation errors say which plugin and tool failed.
 * Plain `ModuleTool` objects and hook functions are accepted unchanged.
 */
export function definePlugin<T extends Record<string, ModuleTool>, H extends Record<string, ModuleHook> = {}>(spec: PluginSpec<T, H>): Plugin<T, H> {
  const problems = definitionProblems(spec);
  const name = typeof spec.name === 'string' ? spec.name : undefined;
  if (problems.length > 0) throw new PluginDefinitionError(problems, name);
  const tools = Object.fromEntries(
    Object.entries(spec.tools).map(([key, t]) => {
      const own = toolSpecs.get(t);
      return [key, own ? { ...t, run: toolRunner(own, (t as Tool).input, { plugin: name, target: key }) } : t];
    }),
  );
  const hooks = Object.fromEntries(
    Object.entries(spec.hooks ?? {}).map(([key, h]) => {
      const own = hookSpecs.get(h);
      return [key, own ? hookRunner(own, { plugin: name, target: key }) : h];
    }),
  );
  return Object.freeze({ name: spec.name, tools: Object.freeze(tools) as T, hooks: Object.freeze(hooks) as H });
}

function toolRunner<S extends z.ZodType<Record<string, unknown>>, R>(spec: ToolSpec<S, R>, input: S, where: Where) {
  return async (args: unknown, ctx: PluginCallContext): Promise<Awaited<R>> => {
    // MCP lets a call omit `arguments`; that means "no arguments", not "invalid".
    const parsed = await input.safeParseAsync(args ?? {});
    if (!parsed.success) throw new InvalidInputError(problemsOf(parsed.error), { kind: 'tool', ...where });
    return await spec.run(parsed.data, ctx);
  };
}

function hookRunner<S extends z.ZodType, R>(spec: HookSpec<S, R>, where: Where): Hook<R> {
  return async (payload, ctx): Promise<Awaited<R>> => {
    if (spec.input === undefined) return await spec.run(payload as z.output<S>, ctx);
    const parsed = await spec.input.safeParseAsync(payload);
    if (!parsed.success) throw new InvalidInputError(problemsOf(parsed.error), { kind: 'hook', ...where });
    return await spec.run(parsed.data, ctx);
  };
}

function specProblems(spec: { description?: unknown; input?: unknown; run?: unknown }, kind: 'tool' | 'hook'): string[] {
  const problems: string[] = [];
  if (kind === 'tool' && (typeof spec.description !== 'string' || spec.description.trim() === '')) {
    problems.push(`${kind} description must be a non-empty string, got ${describe(spec.description)}`);
  }
  if (spec.input !== undefined && !(spec.input instanceof z.ZodType)) {
    problems.push(`${kind} input must be a zod schema (from the same zod as @clawdesk/plugin-sdk), got ${describe(spec.input)}`);
  }
  if (typeof spec.run !== 'function') problems.push(`${kind} run must be a function, got ${describe(spec.run)}`);
  return problems;
}

function definitionProblems(spec: PluginSpec<Record<string, ModuleTool>, Record<string, ModuleHook>>): string[] {
  const problems: string[] = [];
  if (typeof spec.name !== 'string' || spec.name.trim() === '') problems.push(`name must be a non-empty string, got ${describe(spec.name)}`);
  if (typeof spec.tools !== 'object' || spec.tools === null) {
    problems.push(`tools must be an object of tools, got ${describe(spec.tools)}`);
  } else {
    for (const [key, t] of Object.entries(spec.tools)) {
      if (!TOOL_NAME.test(key)) problems.push(`tools.${JSON.stringify(key)}: a tool name uses only A-Z a-z 0-9 _ . - (1 to 128 characters)`);
      if (typeof t !== 'object' || t === null) {
        problems.push(`tools.${key} must be a tool (use tool({...})), got ${describe(t)}`);
        continue;
      }
      if (typeof t.description !== 'string' || t.description.trim() === '') problems.push(`tools.${key}.description must be a non-empty string`);
      if (typeof t.run !== 'function') problems.push(`tools.${key}.run must be a function`);
    }
  }
  if (spec.hooks !== undefined) {
    if (typeof spec.hooks !== 'object' || spec.hooks === null) problems.push(`hooks must be an object of functions, got ${describe(spec.hooks)}`);
    else
      for (const [key, h] of Object.entries(spec.hooks)) {
        if (typeof h !== 'function') problems.push(`hooks.${key} must be a function (use hook({...})), got ${describe(h)}`);
      }
  }
  return problems;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
