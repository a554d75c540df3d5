import { z } from 'zod';
import { type InputProblem, PluginDefinitionError } from './errors.js';

/**
 * The JSON Schema a host shows the model for a tool's arguments: what callers may send (`io: 'input'`,
 * so fields with defaults are optional), without `$schema` (some LLM APIs reject unknown keywords).
 */
export function toInputSchema(schema: z.ZodType, label: string): Record<string, unknown> {
  let json: Record<string, unknown>;
  try {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
  } catch (error) {
    throw new PluginDefinitionError([`${label}: the input schema cannot be expressed as JSON Schema (${(error as Error).message})`]);
  }
  delete json['$schema'];
  if (json['type'] !== 'object') {
    throw new PluginDefinitionError([`${label}: tool input must be a z.object(...) (MCP tools take an object of arguments), got JSON Schema type ${JSON.stringify(json['type'] ?? 'none')}`]);
  }
  return json;
}

/** zod issues as `{ path, message }`, paths written like `items[2].name` or `["odd key"]`. */
export function problemsOf(error: z.ZodError): InputProblem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`;
      const name = String(key);
      if (/^[A-Za-z_$][\w$]*$/.test(name)) return i === 0 ? name : `.${name}`;
      return `[${JSON.stringify(name)}]`;
    })
    .join('');
}
