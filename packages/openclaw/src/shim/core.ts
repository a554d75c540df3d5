/**
 * clawdesk's stand-in for `openclaw/plugin-sdk/core`: the small tool-result and parameter helpers
 * OpenClaw plugins import. Anything else under `openclaw/*` fails to load with a named error.
 */
export { definePluginEntry, emptyPluginConfigSchema } from './plugin-entry.js';

export interface OpenClawToolResult {
  content: { type: 'text'; text: string }[];
  details?: unknown;
}

/** A tool result whose text is the payload as pretty JSON; `details` keeps the value. */
export function jsonResult(payload: unknown): OpenClawToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(payload, null, 2) }], details: payload };
}

export function textResult(text: string, details?: unknown): OpenClawToolResult {
  return { content: [{ type: 'text', text }], ...(details === undefined ? {} : { details }) };
}

interface ParamOptions {
  required?: boolean;
  label?: string;
}

export function readStringParam(
  params: Record<string, unknown>,
  key: string,
  options: ParamOptions & { trim?: boolean; allowEmpty?: boolean } = {},
): string | undefined {
  const label = options.label ?? key;
  const raw = params[key];
  if (raw === undefined || raw === null) {
    if (options.required) throw new Error(`${label} is required.`);
    return undefined;
  }
  if (typeof raw !== 'string') throw new Error(`${label} must be a string.`);
  const value = options.trim === false ? raw : raw.trim();
  if (value === '' && !options.allowEmpty) {
    if (options.required) throw new Error(`${label} is required.`);
    return undefined;
  }
  return value;
}

export function readNumberParam(
  params: Record<string, unknown>,
  key: string,
  options: ParamOptions & { integer?: boolean } = {},
): number | undefined {
  const label = options.label ?? key;
  const raw = params[key];
  if (raw === undefined || raw === null || raw === '') {
    if (options.required) throw new Error(`${label} is required.`);
    return undefined;
  }
  const value = typeof raw === 'string' ? Number(raw.trim()) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${label} must be a number.`);
  return options.integer ? Math.trunc(value) : value;
}

export function readBooleanParam(params: Record<string, unknown>, key: string, options: ParamOptions = {}): boolean | undefined {
  const label = options.label ?? key;
  const raw = params[key];
  if (raw === undefined || raw === null) {
    if (options.required) throw new Error(`${label} is required.`);
    return undefined;
  }
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new Error(`${label} must be a boolean.`);
}

/** A string-enum JSON Schema (OpenClaw builds the same shape with TypeBox's `Type.Unsafe`). */
export function stringEnum(values: readonly string[], options: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'string', enum: [...values], ...options };
}

export function optionalStringEnum(values: readonly string[], options: Record<string, unknown> = {}): Record<string, unknown> {
  return stringEnum(values, options);
}
