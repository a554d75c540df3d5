/**
 * Why a manifest was rejected. Callers branch on these codes, never on messages.
 *
 * - `MANIFEST_ENTRY_ESCAPE`: `entry` leaves the plugin directory (absolute path, `..`, or a
 *   symlink resolving outside). Wins over `MANIFEST_INVALID` when both apply.
 * - `MANIFEST_INVALID`: the document parsed but breaks the schema or a cross-field rule.
 * - `MANIFEST_NOT_FOUND`: the directory has neither `plugin.json5` nor `openclaw.plugin.json`;
 *   `file` is the directory searched.
 * - `MANIFEST_READ`: the file exists but could not be read (permissions, a directory…); `cause` is the fs error.
 * - `MANIFEST_SYNTAX`: not JSON5 (or not UTF-8); the problem carries `line` and `column` when known.
 * - `MANIFEST_TOO_LARGE`: larger than `MAX_MANIFEST_BYTES`, rejected before parsing.
 */
export type ManifestErrorCode =
  | 'MANIFEST_ENTRY_ESCAPE'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_NOT_FOUND'
  | 'MANIFEST_READ'
  | 'MANIFEST_SYNTAX'
  | 'MANIFEST_TOO_LARGE';

/** One thing wrong with a manifest. `path` is dotted (`tools[2].name`); `''` means the whole document. */
export interface ManifestProblem {
  path: string;
  message: string;
  /** 1-based position, for syntax errors only. */
  line?: number;
  column?: number;
}

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  readonly code: ManifestErrorCode;
  /** The manifest file (or, for `MANIFEST_NOT_FOUND`, the directory) the error is about. */
  readonly file: string;
  /** Every problem found, never empty. */
  readonly problems: ManifestProblem[];

  constructor(code: ManifestErrorCode, file: string, problems: ManifestProblem[], options?: { cause?: unknown }) {
    super(formatMessage(code, file, problems), options);
    this.code = code;
    this.file = file;
    this.problems = problems;
  }
}

const HEADLINES: Record<ManifestErrorCode, string> = {
  MANIFEST_ENTRY_ESCAPE: 'Plugin entry leaves the plugin directory in',
  MANIFEST_INVALID: 'Invalid plugin manifest',
  MANIFEST_NOT_FOUND: 'No plugin manifest in',
  MANIFEST_READ: 'Cannot read plugin manifest',
  MANIFEST_SYNTAX: 'Cannot parse plugin manifest',
  MANIFEST_TOO_LARGE: 'Plugin manifest too large:',
};

function formatMessage(code: ManifestErrorCode, file: string, problems: ManifestProblem[]): string {
  const lines = problems.map((p) => `  - ${p.path === '' ? '' : `${p.path}: `}${p.message}`);
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return `${HEADLINES[code]} ${file} (${count}):\n${lines.join('\n')}`;
}

/** Describes an unexpected value for messages: its type plus a short rendering. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** The message of anything thrown. */
export const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
