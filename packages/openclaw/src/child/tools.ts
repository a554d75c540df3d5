import type { ToolResult } from '@clawdesk/sandbox';

/** What `api.registerTool` accepts as a tool (OpenClaw's `AnyAgentTool`). */
export interface OpenClawTool {
  name: string;
  label?: string;
  description?: string;
  /** JSON Schema, or a TypeBox schema (a JSON Schema object with symbol keys). */
  parameters?: unknown;
  execute(toolCallId: string, params: unknown, signal?: AbortSignal, onUpdate?: (partial: unknown) => void): unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks one tool object; the message names what is wrong so `register` fails clearly. */
export function checkTool(value: unknown, where: string): OpenClawTool {
  if (!isRecord(value)) throw new TypeError(`${where}: expected a tool object, got ${value === null ? 'null' : typeof value}`);
  if (typeof value.name !== 'string' || value.name === '') throw new TypeError(`${where}: the tool needs a non-empty string "name"`);
  if (typeof value.execute !== 'function') throw new TypeError(`${where}: tool "${value.name}" needs an execute(toolCallId, params, signal) function`);
  return value as unknown as OpenClawTool;
}

/**
 * Plain JSON Schema from a JSON Schema or TypeBox schema: a JSON round trip drops TypeBox's symbol
 * keys (`[Kind]`, `[Optional]`) and anything JSON cannot carry. No schema means "any object".
 */
export function toJsonSchema(parameters: unknown): Record<string, unknown> {
  if (!isRecord(parameters)) return { type: 'object' };
  const plain = JSON.parse(JSON.stringify(parameters)) as unknown;
  return isRecord(plain) ? plain : { type: 'object' };
}

/**
 * OpenClaw's tool result (`{ content, details? }`, as MCP without `structuredContent`) as an MCP
 * result: `details` becomes `structuredContent` when it is an object; a string becomes text.
 */
export function toToolResult(value: unknown): ToolResult {
  if (typeof value === 'string') return { content: [{ type: 'text', text: value }] };
  if (isRecord(value) && Array.isArray(value.content)) {
    const { details, isError } = value;
    return {
      content: value.content as ToolResult['content'],
      ...(isRecord(details) ? { structuredContent: details } : {}),
      ...(isError === true ? { isError: true } : {}),
    };
  }
  const text = JSON.stringify(value ?? null);
  return { content: [{ type: 'text', text }], ...(isRecord(value) ? { structuredContent: value } : {}) };
}
