import JSON5 from 'json5';
import { MAX_MANIFEST_BYTES, MAX_MANIFEST_DEPTH } from './constants.js';
import { ManifestError, reasonOf } from './errors.js';
import type { PluginManifest } from './schema.js';
import { formatPath, validateManifest, type ParseManifestOptions } from './validate.js';

/**
 * Parses manifest text (JSON5; OpenClaw's JSON is a subset) and validates it.
 * Throws `ManifestError` and nothing else.
 */
export function parseManifest(text: string, options: ParseManifestOptions): PluginManifest {
  return validateManifest(parseDocument(text, options.file), options);
}

/** Text → JSON value, with the size cap checked first. Also used for OpenClaw's `package.json`. */
export function parseDocument(text: string, file: string): unknown {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_MANIFEST_BYTES) throw tooLargeError(file, bytes);
  let value: unknown;
  try {
    value = JSON5.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (error) {
    throw syntaxError(file, error);
  }
  checkDepth(value, file);
  return value;
}

/** How many path segments a depth problem names before it abbreviates the rest with `…`. */
const DEPTH_PATH_SEGMENTS = 12;

/**
 * Refuses documents nested past MAX_MANIFEST_DEPTH, at the path of the value that is too deep
 * (`tools[0].inputSchema.properties.a…`), so the user can find it; iterative, so it cannot overflow itself.
 */
function checkDepth(root: unknown, file: string): void {
  const stack: { value: unknown; path: readonly (string | number)[] }[] = [{ value: root, path: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_MANIFEST_DEPTH) {
      const shown = formatPath(path.slice(0, DEPTH_PATH_SEGMENTS));
      throw new ManifestError('MANIFEST_INVALID', file, [
        { path: path.length > DEPTH_PATH_SEGMENTS ? `${shown}…` : shown, message: `nested more than ${MAX_MANIFEST_DEPTH} levels deep` },
      ]);
    }
    const isArray = Array.isArray(value);
    for (const [key, child] of Object.entries(value)) stack.push({ value: child, path: [...path, isArray ? Number(key) : key] });
  }
}

export function tooLargeError(file: string, bytes: number): ManifestError {
  return new ManifestError('MANIFEST_TOO_LARGE', file, [
    { path: '', message: `${bytes} bytes, more than the ${MAX_MANIFEST_BYTES} allowed` },
  ]);
}

interface Json5SyntaxError extends SyntaxError {
  lineNumber?: number;
  columnNumber?: number;
}

function syntaxError(file: string, error: unknown): ManifestError {
  const e = error as Json5SyntaxError;
  if (e instanceof SyntaxError && typeof e.lineNumber === 'number' && typeof e.columnNumber === 'number') {
    // json5 says "JSON5: invalid character 'x' at 3:5"; keep the reason, restate the position in words.
    const reason = e.message.replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '');
    return new ManifestError(
      'MANIFEST_SYNTAX',
      file,
      [{ path: '', message: `${reason} at line ${e.lineNumber}, column ${e.columnNumber}`, line: e.lineNumber, column: e.columnNumber }],
      { cause: error },
    );
  }
  // Anything else the parser throws (e.g. a stack overflow on absurd nesting) is still bad input.
  return new ManifestError('MANIFEST_SYNTAX', file, [{ path: '', message: `cannot parse: ${reasonOf(error)}` }], { cause: error });
}
