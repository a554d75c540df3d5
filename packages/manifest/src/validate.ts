import path from 'node:path';
import type { z } from 'zod';
import { describeValue, ManifestError, type ManifestProblem } from './errors.js';
import type { ManifestFormat } from './kinds.js';
import { isRecord } from './object.js';
import { fromOpenClaw } from './openclaw.js';
import { checkRules } from './rules.js';
import { ENTRY_ESCAPE, manifestSchema, type PluginManifest } from './schema.js';

export interface ParseManifestOptions {
  /** Names the document in errors and becomes `manifestFile`, verbatim. */
  file: string;
  format: ManifestFormat;
  /** Plugin directory; defaults to the directory of `file`. Resolved to an absolute path. */
  dir?: string;
  /** For `format: 'openclaw'`: the parsed sibling `package.json`, source of `version` and `entry`. */
  packageJson?: unknown;
}

/**
 * Validates an already-parsed manifest document and normalizes it.
 * Throws `ManifestError` (`MANIFEST_INVALID` or `MANIFEST_ENTRY_ESCAPE`) listing every problem.
 */
export function validateManifest(doc: unknown, options: ParseManifestOptions): PluginManifest {
  const { file, format } = options;
  if (!isRecord(doc)) {
    throw new ManifestError('MANIFEST_INVALID', file, [{ path: '', message: `the manifest must be an object, got ${describeValue(doc)}` }]);
  }
  const { input, renames } =
    format === 'openclaw' ? fromOpenClaw(doc, options.packageJson) : { input: doc, renames: new Map<string, string>() };

  const result = manifestSchema.safeParse(input, { error: issueMessage });
  const issues = result.success ? [] : result.error.issues;
  const problems = [
    ...issues.flatMap((issue) => toProblems(issue, renames)),
    ...checkRules(input).map((p) => ({ path: formatPath(p.path, renames), message: p.message })),
  ];
  if (!result.success || problems.length > 0) {
    const escape = issues.some((i) => i.code === 'custom' && i.params?.['rule'] === ENTRY_ESCAPE);
    throw new ManifestError(escape ? 'MANIFEST_ENTRY_ESCAPE' : 'MANIFEST_INVALID', file, problems);
  }
  return { ...result.data, dir: path.resolve(options.dir ?? path.dirname(file)), manifestFile: file, format };
}

function toProblems(issue: z.core.$ZodIssue, renames: ReadonlyMap<string, string>): ManifestProblem[] {
  // One problem per unknown key, so each path points at the key to delete.
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key], renames), message: 'unknown field' }));
  }
  return [{ path: formatPath(issue.path, renames), message: issue.message }];
}

/** `['tools', 2, 'name']` → `tools[2].name`; keys that are not identifiers are quoted. */
export function formatPath(segments: readonly PropertyKey[], renames: ReadonlyMap<string, string> = new Map()): string {
  let out = '';
  segments.forEach((seg, i) => {
    if (i === 0 && typeof seg === 'string' && renames.has(seg)) out = renames.get(seg) ?? seg;
    else if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  });
  return out;
}

const TYPE_NAMES: Record<string, string> = {
  array: 'an array',
  int: 'an integer',
  object: 'an object',
  record: 'an object',
};

/** Messages that name what was expected and what arrived; `undefined` keeps zod's own. */
function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`;
      return issue.input === undefined ? `required: expected ${expected}` : `expected ${expected}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; got ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `must list at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}, got ${describeValue(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters long`;
      return `must be at most ${issue.maximum}, got ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
}
