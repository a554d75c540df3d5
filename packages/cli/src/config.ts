import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import JSON5 from 'json5';
import { CliError } from './errors.js';

/** The file the CLI reads from the working directory when there is no `--config`. */
export const CONFIG_FILE = 'clawdesk.config.json5';

/** What the operator sets for one plugin: none of it can come from the plugin's own manifest. */
export interface PluginSettings {
  /** Handed to the plugin as `ctx.config` (OpenClaw `pluginConfig`, Extism config, `initialize`). */
  config?: Record<string, unknown>;
  /**
   * Granted on top of the manifest's permissions (process and OpenClaw plugins; paths may be
   * absolute). For remote plugins, `network.allowedHosts` admits hosts for the url.
   */
  permissions?: {
    network?: { allowedHosts?: string[] };
    fs?: { read?: string[]; write?: string[] };
    env?: string[];
    memoryMb?: number;
  };
  /** Environment variables set in the plugin's process (process plugins). */
  env?: Record<string, string>;
  /** HTTP headers sent to a remote plugin's server (e.g. `Authorization`). */
  headers?: Record<string, string>;
}

export interface HostConfig {
  /** The file read, or undefined when there was none. */
  file: string | undefined;
  plugins: Record<string, PluginSettings>;
}

const EMPTY: HostConfig = { file: undefined, plugins: {} };

/**
 * Reads `file` (`--config`; must exist), else `./clawdesk.config.json5` when it exists. String
 * values of `env` and `headers` may be `${env:NAME}`, replaced from the CLI's own environment, so
 * secrets need not be written into the file. Any problem is a `CONFIG_INVALID` error naming the
 * file and the field.
 */
export async function loadHostConfig(file: string | undefined, environment: NodeJS.ProcessEnv = process.env): Promise<HostConfig> {
  const target = file === undefined ? path.resolve(CONFIG_FILE) : path.resolve(file);
  if (file === undefined && !existsSync(target)) return EMPTY;
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch (error) {
    throw new CliError('CONFIG_INVALID', `cannot read the config file ${target}: ${(error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON5.parse(text);
  } catch (error) {
    throw new CliError('CONFIG_INVALID', `${target} is not valid JSON5: ${(error as Error).message}`);
  }
  const bad = (at: string, expected: string) => new CliError('CONFIG_INVALID', `${target}: "${at}" must be ${expected}`);
  if (!isRecord(doc)) throw bad('(top level)', 'an object { plugins: { "<plugin>": { … } } }');
  const unknownTop = Object.keys(doc).filter((k) => k !== 'plugins');
  if (unknownTop.length) throw bad(unknownTop[0]!, 'absent: the only top-level key is "plugins"');
  const plugins = doc.plugins ?? {};
  if (!isRecord(plugins)) throw bad('plugins', 'an object keyed by plugin name');
  const out: Record<string, PluginSettings> = {};
  for (const [name, s] of Object.entries(plugins)) {
    const at = `plugins.${name}`;
    if (!isRecord(s)) throw bad(at, 'an object');
    const unknown = Object.keys(s).filter((k) => !['config', 'permissions', 'env', 'headers'].includes(k));
    if (unknown.length) throw bad(`${at}.${unknown[0]}`, 'absent: a plugin takes config, permissions, env and headers');
    if (s.config !== undefined && !isRecord(s.config)) throw bad(`${at}.config`, 'an object');
    if (s.permissions !== undefined) checkPermissions(s.permissions, `${at}.permissions`, bad);
    const strings = (key: 'env' | 'headers') => {
      const v = s[key];
      if (v === undefined) return undefined;
      if (!isRecord(v) || !Object.values(v).every((x) => typeof x === 'string')) throw bad(`${at}.${key}`, 'an object of name → string');
      return Object.fromEntries(Object.entries(v as Record<string, string>).map(([k, x]) => [k, expand(x, `${at}.${key}.${k}`, environment, target)]));
    };
    const env = strings('env');
    const headers = strings('headers');
    out[name] = {
      ...(s.config !== undefined && { config: s.config as Record<string, unknown> }),
      ...(s.permissions !== undefined && { permissions: s.permissions as PluginSettings['permissions'] }),
      ...(env && { env }),
      ...(headers && { headers }),
    };
  }
  return { file: target, plugins: out };
}

/** The driver and host options a config amounts to. */
export function driverSettings(config: HostConfig) {
  const pick = <T>(get: (s: PluginSettings) => T | undefined) =>
    Object.fromEntries(Object.entries(config.plugins).flatMap(([name, s]) => (get(s) === undefined ? [] : [[name, get(s) as T]])));
  return {
    permissions: pick((s) => s.permissions),
    env: pick((s) => s.env),
    headers: pick((s) => s.headers),
    allowedHosts: pick((s) => s.permissions?.network?.allowedHosts),
    config: (plugin: string) => config.plugins[plugin]?.config,
  };
}

function checkPermissions(p: unknown, at: string, bad: (at: string, expected: string) => Error): void {
  if (!isRecord(p)) throw bad(at, 'an object');
  const list = (v: unknown, where: string) => {
    if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== ''))) throw bad(where, 'an array of non-empty strings');
  };
  const network = p.network as Record<string, unknown> | undefined;
  const fs = p.fs as Record<string, unknown> | undefined;
  if (network !== undefined && !isRecord(network)) throw bad(`${at}.network`, 'an object');
  if (fs !== undefined && !isRecord(fs)) throw bad(`${at}.fs`, 'an object');
  list(network?.allowedHosts, `${at}.network.allowedHosts`);
  list(fs?.read, `${at}.fs.read`);
  list(fs?.write, `${at}.fs.write`);
  list(p.env, `${at}.env`);
  if (p.memoryMb !== undefined && !(Number.isInteger(p.memoryMb) && (p.memoryMb as number) >= 16)) throw bad(`${at}.memoryMb`, 'an integer >= 16');
}

function expand(value: string, at: string, environment: NodeJS.ProcessEnv, file: string): string {
  return value.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = environment[name];
    if (v === undefined) throw new CliError('CONFIG_INVALID', `${file}: "${at}" uses \${env:${name}}, but ${name} is not set`);
    return v;
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
