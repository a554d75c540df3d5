import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PluginManifest, ToolDef } from '@clawdesk/manifest';
import type { StateChange } from '@clawdesk/registry';
import { createInMemoryDriver, type InMemoryModuleSource, type SandboxDriver } from '@clawdesk/sandbox';
import { createHost, type HostErrorEvent, type HostOptions, type PluginHost } from '../src/index.js';

/** A complete, normalized manifest, as @clawdesk/manifest would produce it. */
export function manifest(name: string, over: Partial<PluginManifest> & { toolNames?: string[] } = {}): PluginManifest {
  const { toolNames, ...rest } = over;
  const tools: ToolDef[] = (toolNames ?? []).map((t) => ({ name: t, description: `${t} tool` }));
  return {
    name,
    version: '1.0.0',
    description: `${name} plugin`,
    author: 'tests',
    runtime: 'node',
    sandbox: 'native',
    entry: './index.js',
    args: [],
    capabilities: ['tool_call'],
    channels: [],
    slots: [],
    hooks: [],
    tools,
    minCallIntervalMs: 0,
    timeoutMs: 10_000,
    browserCdn: { downloadRules: [] },
    permissions: { network: { allowedHosts: [] }, fs: { read: [], write: [] }, env: [], memoryMb: 128 },
    extra: {},
    dir: `/nonexistent/${name}`,
    manifestFile: `/nonexistent/${name}/plugin.json5`,
    format: 'json5',
    ...rest,
  };
}

export function tempDir(prefix = 'clawdesk-host-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Writes `files` (relative path → content) under a new temp dir and returns it. */
export function writeTree(files: Record<string, string>, root = tempDir()): string {
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return root;
}

export interface TestHost {
  host: PluginHost;
  dataDir: string;
  states: string[];
  errors: HostErrorEvent[];
}

/**
 * A host over the in-memory driver (or the given drivers), with its transitions and error events
 * recorded, closed and cleaned up after `fn`.
 */
export async function withHost(
  opts: Partial<HostOptions> & { modules?: Record<string, InMemoryModuleSource> },
  fn: (t: TestHost) => Promise<void>,
): Promise<void> {
  const dataDir = tempDir('clawdesk-data-');
  const { modules, ...rest } = opts;
  const drivers: SandboxDriver[] = [...(rest.drivers ?? []), ...(modules ? [createInMemoryDriver({ modules })] : [])];
  const host = createHost({ hostVersion: '1.0.0', dataDir, ...rest, drivers });
  const states: string[] = [];
  const errors: HostErrorEvent[] = [];
  host.on('state', (c: StateChange) => states.push(`${c.plugin}:${c.from}->${c.to}`));
  host.on('error', (e) => errors.push(e));
  try {
    await fn({ host, dataDir, states, errors });
  } finally {
    await host.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A caught error, with its fields open for `toMatchObject`. */
export type Caught = Error & { code?: string; [key: string]: unknown };

/** The rejection of `promise` (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Caught> {
  try {
    await promise;
  } catch (err) {
    return err as Caught;
  }
  throw new Error('expected a rejection');
}

export function thrown(fn: () => unknown): Caught {
  try {
    fn();
  } catch (err) {
    return err as Caught;
  }
  throw new Error('expected a throw');
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves once `check()` is true, polling; rejects after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Waits for `signal` to abort, freeing its timer if the call ends first (so no handle leaks). */
export function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/**
 * The source of a bare MCP stdio server (no SDK, nothing to install) whose tools answer
 * `answer(name, args)`, which is source text; `before` runs first (e.g. a slow start).
 */
export function mcpServerSource(opts: { name: string; tools: string[]; answer: string; imports?: string; before?: string }): string {
  return [
    opts.imports ?? '',
    "import readline from 'node:readline';",
    opts.before ?? '',
    'const send = (m) => process.stdout.write(JSON.stringify(m) + "\\n");',
    `const tools = ${JSON.stringify(opts.tools.map((t) => ({ name: t, description: t, inputSchema: { type: 'object' } })))};`,
    `const answer = ${opts.answer};`,
    'readline.createInterface({ input: process.stdin }).on("line", (line) => {',
    '  const m = JSON.parse(line);',
    '  if (m.id === undefined) return;',
    `  if (m.method === "initialize") send({ jsonrpc: "2.0", id: m.id, result: { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: ${JSON.stringify(opts.name)}, version: "1.0.0" } } });`,
    '  else if (m.method === "tools/list") send({ jsonrpc: "2.0", id: m.id, result: { tools } });',
    '  else if (m.method === "tools/call") send({ jsonrpc: "2.0", id: m.id, result: { content: [{ type: "text", text: String(answer(m.params.name, m.params.arguments)) }] } });',
    '  else send({ jsonrpc: "2.0", id: m.id, error: { code: -32601, message: "no " + m.method } });',
    '});',
    '',
  ].join('\n');
}
