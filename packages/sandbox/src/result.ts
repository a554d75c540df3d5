import { InvalidOutputError } from './errors.js';
import type { ToolResult } from './types.js';

/**
 * Wraps any JSON value as an MCP-shaped tool result; passes a `ToolResult` through unchanged.
 * Throws `InvalidOutputError` for values JSON cannot carry (functions, symbols, BigInt, cycles),
 * so a driver never hands the host a result whose text is not JSON.
 */
export function toToolResult(value: unknown): ToolResult {
  if (isToolResult(value)) return value;
  let text: string | undefined;
  try {
    text = value === undefined ? 'null' : JSON.stringify(value);
  } catch (cause) {
    throw new InvalidOutputError(`value is not JSON-serializable (${(cause as Error).message})`, { cause });
  }
  if (text === undefined) throw new InvalidOutputError(`value of type ${typeof value} is not JSON-serializable`);
  return { content: [{ type: 'text', text }], structuredContent: value ?? null };
}

export function isToolResult(value: unknown): value is ToolResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { content?: unknown }).content)
  );
}

/** The JSON value a tool returned: `structuredContent`, else the first text part parsed as JSON, else the text. */
export function resultValue(result: ToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const first = result.content.find((c) => c.type === 'text') as { text?: string } | undefined;
  if (first?.text === undefined) return undefined;
  try {
    return JSON.parse(first.text);
  } catch {
    return first.text;
  }
}

/** An error result as MCP plugins return it (`isError: true`). */
export function errorResult(message: string): ToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
