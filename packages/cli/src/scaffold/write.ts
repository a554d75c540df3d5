import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../errors.js';
import { scaffoldFiles, type ScaffoldRuntime, type ScaffoldVersions } from './templates.js';

/** The manifest's name rule (@clawdesk/manifest): letters, digits, ".", "_" or "-", starting with a letter or digit. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The ranges a scaffold depends on, from this CLI's own package.json: changesets keeps its
 * dependency ranges on @clawdesk/plugin-sdk and @clawdesk/testing at their released versions.
 */
export function scaffoldVersions(): ScaffoldVersions {
  const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };
  const caret = (range: string | undefined) => (range && /^\d/.test(range) ? `^${range}` : (range ?? '*'));
  return {
    cli: `^${own.version}`,
    pluginSdk: caret(own.dependencies['@clawdesk/plugin-sdk']),
    testing: caret(own.dependencies['@clawdesk/testing']),
  };
}

export interface Scaffolded {
  name: string;
  dir: string;
  runtime: ScaffoldRuntime;
  files: string[];
}

/** Writes a new plugin into `dir` (created; must be empty or missing), named after its last segment. */
export async function writeScaffold(dir: string, runtime: ScaffoldRuntime, versions: ScaffoldVersions): Promise<Scaffolded> {
  const name = path.basename(dir);
  if (!NAME.test(name) || name.length > 214) {
    throw new CliError('INVALID_NAME', `"${name}" cannot be a plugin name: use letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
  if (existsSync(dir) && (await readdir(dir)).length > 0) {
    throw new CliError('DIR_NOT_EMPTY', `${dir} already exists and is not empty; pick another name or remove it`);
  }
  const files = scaffoldFiles(name, runtime, versions);
  for (const [file, contents] of Object.entries(files)) {
    const target = path.join(dir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, contents, { flag: 'wx' });
  }
  return { name, dir, runtime, files: Object.keys(files) };
}
