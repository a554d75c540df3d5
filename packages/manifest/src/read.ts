import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import { MAX_MANIFEST_BYTES } from './constants.js';
import { ManifestError, reasonOf } from './errors.js';
import { tooLargeError } from './parse.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
// Non-blocking so a FIFO planted as a manifest cannot hang the open; regular files ignore the flag.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Reads a manifest as UTF-8 text, refusing files over `MAX_MANIFEST_BYTES` before reading them.
 * Returns `undefined` when the file does not exist; any other failure is a `ManifestError`.
 */
export async function readManifestText(file: string): Promise<string | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, OPEN_FLAGS);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw readError(file, error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ManifestError('MANIFEST_READ', file, [{ path: '', message: 'not a regular file' }]);
    if (stat.size > MAX_MANIFEST_BYTES) throw tooLargeError(file, stat.size);
    const bytes = await handle.readFile();
    // The file may have grown since stat.
    if (bytes.length > MAX_MANIFEST_BYTES) throw tooLargeError(file, bytes.length);
    return decode(file, bytes);
  } catch (error) {
    throw error instanceof ManifestError ? error : readError(file, error);
  } finally {
    await handle.close();
  }
}

function decode(file: string, bytes: Uint8Array): string {
  try {
    // The decoder drops a leading BOM.
    return utf8.decode(bytes);
  } catch (error) {
    throw new ManifestError('MANIFEST_SYNTAX', file, [{ path: '', message: 'not valid UTF-8' }], { cause: error });
  }
}

export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function readError(file: string, error: unknown): ManifestError {
  return new ManifestError('MANIFEST_READ', file, [{ path: '', message: reasonOf(error) }], { cause: error });
}
