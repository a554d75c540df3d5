import type { ToolDef } from '@clawdesk/manifest';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * Compiles each tool's `inputSchema` once (ajv 8, allErrors). One ajv per plugin version, so
 * `$id`s of different plugins or versions never clash. Throws on a schema ajv cannot compile.
 */
export function compileValidators(tools: readonly ToolDef[]): Map<string, ValidateFunction> {
  const out = new Map<string, ValidateFunction>();
  let ajv: Ajv | undefined;
  for (const tool of tools) {
    if (!tool.inputSchema) continue;
    ajv ??= new Ajv({ allErrors: true, strict: false });
    // Plugins often declare a draft ajv's default build does not bundle; validate by keywords instead.
    const { $schema: _ignored, ...schema } = tool.inputSchema;
    try {
      out.set(tool.name, ajv.compile(schema));
    } catch (err) {
      throw new Error(`tool "${tool.name}" has an invalid inputSchema: ${(err as Error).message}`, { cause: err });
    }
  }
  return out;
}
