import JSON5 from 'json5';
import { MAX_MANIFEST_BYTES } from './constants.js';
import { ManifestError, reasonOf } from './errors.js';
import type { PluginManifest } from './schema.js';
import { validateManifest, type ParseManifestOptions } from './validate.js';

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
  try {
    return JSON5.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (error) {
    throw syntaxError(file, error);
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
