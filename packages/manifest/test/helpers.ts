import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManifestError, type ManifestErrorCode } from '../src/index.js';

export const FIXTURES = path.join(import.meta.dirname, 'fixtures');

/** A file tree: strings are file contents, nested objects are directories, `{ symlink }` is a link. */
export interface Tree {
  [name: string]: string | Buffer | { symlink: string } | Tree;
}

const made: string[] = [];

/** Builds `tree` in a fresh temp directory and returns its real path (removed by `cleanupTestdirs`). */
export async function testdir(tree: Tree = {}): Promise<string> {
  const root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'clawdesk-manifest-')));
  made.push(root);
  await writeTree(root, tree);
  return root;
}

async function writeTree(dir: string, tree: Tree): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const [name, node] of Object.entries(tree)) {
    const target = path.join(dir, name);
    if (typeof node === 'string' || Buffer.isBuffer(node)) await fs.writeFile(target, node);
    else if ('symlink' in node && typeof node.symlink === 'string') await fs.symlink(node.symlink, target);
    else await writeTree(target, node as Tree);
  }
}

export async function cleanupTestdirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
}

/** Runs `fn` and returns the ManifestError it throws; fails the test otherwise. */
export function catchManifestError(fn: () => unknown): ManifestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('expected a ManifestError, but nothing was thrown');
}

export async function rejectsManifestError(promise: Promise<unknown>, code?: ManifestErrorCode): Promise<ManifestError> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    if (code !== undefined) expect(error.code).toBe(code);
    return error;
  }
  throw new Error('expected a ManifestError, but the promise resolved');
}
