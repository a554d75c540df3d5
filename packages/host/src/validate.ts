import type { ToolDef } from '@clawdesk/manifest';
import type { ArgumentProblem } from '@clawdesk/sandbox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

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

/** Every failing path, dotted (`items.0.name`; '' is the arguments object itself). */
export function argumentProblems(errors: readonly ErrorObject[] | null | undefined): ArgumentProblem[] {
  return (errors ?? []).map((e) => {
    const parts = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const child = e.params as { missingProperty?: string; additionalProperty?: string };
    const extra = child.missingProperty ?? child.additionalProperty;
    if (extra !== undefined) parts.push(extra);
    return { path: parts.join('.'), message: e.message ?? e.keyword };
  });
}
