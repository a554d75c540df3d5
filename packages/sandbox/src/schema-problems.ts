import type { ArgumentProblem } from './errors.js';

/** The part of a JSON Schema validator's error (ajv's `ErrorObject`) that locates and explains it. */
export interface SchemaValidationError {
  /** JSON Pointer to the failing value (`/items/0/name`). */
  instancePath: string;
  keyword: string;
  message?: string;
  params?: unknown;
}

/**
 * Every failing path, dotted (`items.0.name`; '' is the checked value itself), with its message.
 * A missing or unexpected property is named in the path, not only in the message.
 */
export function schemaProblems(errors: readonly SchemaValidationError[] | null | undefined): ArgumentProblem[] {
  return (errors ?? []).map((e) => {
    const parts = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const params = (e.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
    const named = params.missingProperty ?? params.additionalProperty;
    if (named !== undefined) parts.push(named);
    return { path: parts.join('.'), message: e.message ?? e.keyword };
  });
}
