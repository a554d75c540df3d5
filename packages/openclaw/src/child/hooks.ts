import type { ModuleHook } from '@clawdesk/sandbox';

/**
 * OpenClaw has two hook systems: typed hooks (`api.on(name, (event, ctx) => result, { priority })`)
 * and internal hooks (`api.registerHook(names, (event) => event | undefined)`). Both become one
 * clawdesk hook per name; `HookTable.run` defines how their answers combine.
 */
export interface HookHandler {
  kind: 'typed' | 'internal';
  fn: (...args: unknown[]) => unknown;
  /** Higher runs first (OpenClaw's order); default 0. */
  priority: number;
  /** Registration order, for ties. */
  order: number;
  /** `registerHook`'s `meta.name`, for logs. */
  label?: string;
}

export interface HookRunEnv {
  /** Base of the typed hooks' `ctx` (OpenClaw passes `workspaceDir`, `sessionKey`, `agentId`…). */
  baseContext: Record<string, unknown>;
  logError(message: string): void;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{ event, context }` and nothing else is an envelope; any other payload is the event itself. */
export function splitPayload(payload: unknown): { event: unknown; context: Record<string, unknown> } {
  if (isRecord(payload) && 'event' in payload && 'context' in payload && Object.keys(payload).length === 2 && isRecord(payload.context)) {
    return { event: payload.event, context: payload.context };
  }
  return { event: payload, context: {} };
}

/** Typed results merge: later handlers override a key, `…Context` strings are joined, `block: true` sticks. */
export function mergeResults(acc: Record<string, unknown> | undefined, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...acc };
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    const prev = out[key];
    if (key.endsWith('Context') && typeof prev === 'string' && typeof value === 'string') out[key] = `${prev}\n\n${value}`;
    else if (key === 'block' && prev === true) out[key] = true;
    else out[key] = value;
  }
  return out;
}

const describeError = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

export class HookTable {
  readonly #handlers = new Map<string, HookHandler[]>();
  #order = 0;

  add(name: string, handler: Omit<HookHandler, 'order'>): void {
    const list = this.#handlers.get(name) ?? [];
    list.push({ ...handler, order: this.#order++ });
    this.#handlers.set(name, list);
  }

  names(): string[] {
    return [...this.#handlers.keys()];
  }

  /**
   * Runs every handler of `name`, highest priority first. Internal handlers chain: one returning an
   * object hands it to the next and it becomes the answer. Typed handlers get `(event, ctx)` and
   * their object results merge (`mergeResults`); a merged result wins over the chained event.
   * `null` when nobody changed anything. A failing handler is logged and skipped, as OpenClaw does;
   * only when every handler failed does the dispatch fail, with the first error.
   */
  async run(name: string, payload: unknown, signal: AbortSignal, env: HookRunEnv): Promise<unknown> {
    const handlers = [...(this.#handlers.get(name) ?? [])].sort((a, b) => b.priority - a.priority || a.order - b.order);
    const { event, context } = splitPayload(payload);
    const ctx = { ...env.baseContext, ...context, signal };
    let current = event;
    let changed = false;
    let merged: Record<string, unknown> | undefined;
    let firstError: unknown;
    let failures = 0;
    for (const handler of handlers) {
      try {
        if (handler.kind === 'internal') {
          const result = await handler.fn(current);
          if (isRecord(result)) {
            current = result;
            changed = true;
          }
        } else {
          const result = await handler.fn(event, ctx);
          if (isRecord(result)) merged = mergeResults(merged, result);
        }
      } catch (error) {
        failures += 1;
        firstError ??= error;
        env.logError(`hook "${name}"${handler.label ? ` (${handler.label})` : ''} threw ${describeError(error)}`);
      }
    }
    if (handlers.length > 0 && failures === handlers.length) throw firstError;
    if (merged !== undefined) return merged;
    return changed ? current : null;
  }

  /** One clawdesk hook per name. */
  toModuleHooks(env: HookRunEnv): Record<string, ModuleHook> {
    return Object.fromEntries(this.names().map((name) => [name, (payload: unknown, ctx: { signal: AbortSignal }) => this.run(name, payload, ctx.signal, env)]));
  }
}
