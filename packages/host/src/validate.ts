import type { ToolDef } from '@clawdesk/manifest';
import type { Logger } from '@clawdesk/sandbox';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * Compiles each tool's `inputSchema` once (ajv 8, allErrors). One ajv per plugin version, so
 * `$id`s of different plugins or versions never clash. Throws on a schema ajv cannot compile.
 * ajv's notes (`unknown format "uri" ignored`) go to the plugin's logger at debug level: its
 * default logger is the console, and libraries here never write there.
 */
export function compileValidators(tools: readonly ToolDef[], logger?: Logger): Map<string, ValidateFunction> {
  const out = new Map<string, ValidateFunction>();
  let ajv: Ajv | undefined;
  for (const tool of tools) {
    if (!tool.inputSchema) continue;
    ajv ??= new Ajv({ allErrors: true, strict: false, logger: ajvLogger(logger) });
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

function ajvLogger(logger: Logger | undefined): false | { log(...a: unknown[]): void; warn(...a: unknown[]): void; error(...a: unknown[]): void } {
  if (!logger) return false;
  const line = (args: unknown[]) => `json schema: ${args.map(String).join(' ')}`;
  return {
    log: (...a) => logger.debug(line(a)),
    warn: (...a) => logger.debug(line(a)),
    error: (...a) => logger.warn(line(a)),
  };
}
