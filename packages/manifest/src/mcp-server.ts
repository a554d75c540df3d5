import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_FILE } from './constants.js';
import { describeValue, ManifestError } from './errors.js';
import { isRecord } from './object.js';
import type { PluginManifest } from './schema.js';
import { validateManifest } from './validate.js';

export interface McpServerManifestOptions {
  /** Which `bin` entry to run when the package has several. Default: the only one, else the one named like the package. */
  bin?: string;
  /** Command-line arguments after the entry; `${pluginDir}` and `${dataDir}` are expanded at start. */
  args?: string[];
  /** Plugin name. Default: the package name without its scope (`@modelcontextprotocol/server-filesystem` → `server-filesystem`). */
  name?: string;
}

/**
 * A `plugin.json5` document for an MCP stdio server published as an npm package: its `bin`
 * becomes a node process plugin's entry, so such a server loads with no hand-written manifest.
 * It declares no tools (the host takes `tools/list`) and no permissions: grant what the server
 * needs as the operator (`createProcessDriver({ permissions, env })`). Throws `ManifestError`
 * (`MANIFEST_INVALID`, file `<dir>/package.json`) when the package has no usable `bin`.
 */
export function mcpServerManifestDoc(packageJson: unknown, opts: McpServerManifestOptions = {}, file = 'package.json'): Record<string, unknown> {
  const invalid = (p: string, message: string) => new ManifestError('MANIFEST_INVALID', file, [{ path: p, message }]);
  if (!isRecord(packageJson)) throw invalid('', `package.json must be an object, got ${describeValue(packageJson)}`);
  const pkgName = typeof packageJson.name === 'string' ? packageJson.name : undefined;
  const bins = binEntries(packageJson.bin, pkgName);
  if (bins.size === 0) throw invalid('bin', 'is needed to run the package as an MCP server: it names no executable');
  const short = pkgName?.replace(/^@[^/]+\//, '');
  let entry: string | undefined;
  if (opts.bin !== undefined) {
    entry = bins.get(opts.bin);
    if (!entry) throw invalid('bin', `has no "${opts.bin}" (it has ${[...bins.keys()].map((b) => `"${b}"`).join(', ')})`);
  } else if (bins.size === 1) {
    entry = [...bins.values()][0];
  } else {
    entry = (short && bins.get(short)) ?? undefined;
    if (!entry) throw invalid('bin', `has several executables (${[...bins.keys()].map((b) => `"${b}"`).join(', ')}): choose one with the bin option`);
  }
  const name = opts.name ?? short;
  return {
    name,
    ...(typeof packageJson.version === 'string' && { version: packageJson.version }),
    ...(typeof packageJson.description === 'string' && { description: packageJson.description }),
    runtime: 'node',
    sandbox: 'process',
    entry: `./${path.posix.normalize(entry!.replace(/\\/g, '/')).replace(/^\.\//, '')}`,
    ...(opts.args?.length ? { args: [...opts.args] } : {}),
    capabilities: ['tool_call'],
  };
}

/**
 * The manifest of the MCP server package in `dir`, synthesized from its `package.json` (see
 * `mcpServerManifestDoc`); `host.load(manifest)` runs it. `manifestFile` is where
 * `plugin.json5` would be; nothing is written.
 */
export async function mcpServerManifest(dir: string, opts: McpServerManifestOptions = {}): Promise<PluginManifest> {
  const root = path.resolve(dir);
  const pkgFile = path.join(root, 'package.json');
  let text: string;
  try {
    text = await readFile(pkgFile, 'utf8');
  } catch (error) {
    throw new ManifestError('MANIFEST_NOT_FOUND', root, [{ path: '', message: `no package.json in ${root}` }], { cause: error });
  }
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (error) {
    throw new ManifestError('MANIFEST_SYNTAX', pkgFile, [{ path: '', message: (error as Error).message }], { cause: error });
  }
  return validateManifest(mcpServerManifestDoc(pkg, opts, pkgFile), { file: path.join(root, MANIFEST_FILE), format: 'json5', dir: root });
}

/** `bin` as npm reads it: a string (named after the package) or an object of name → path. */
function binEntries(bin: unknown, pkgName: string | undefined): Map<string, string> {
  if (typeof bin === 'string' && bin !== '' && pkgName) return new Map([[pkgName.replace(/^@[^/]+\//, ''), bin]]);
  if (!isRecord(bin)) return new Map();
  return new Map(Object.entries(bin).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}
