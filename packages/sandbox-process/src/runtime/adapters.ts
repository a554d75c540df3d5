import { isIP } from 'node:net';
import type { PluginManifest } from '@clawdesk/manifest';
import type { PermissionReport } from '@clawdesk/sandbox';
import type { ProcessRuntime } from '../options.js';
import type { Grants } from './grants.js';

/** How the runtime's engine is tuned, independent of what the plugin may do. */
export interface EngineOptions {
  /** V8 without its JIT compilers: less memory, slower code, no WebAssembly. */
  jitless: boolean;
}

/** How one runtime is started and what it can enforce. */
export interface RuntimeAdapter {
  /** Command-line arguments before and including the entry file. */
  args(grants: Grants, moduleReads: string[], engine: EngineOptions): string[];
  enforcement(grants: Grants): PermissionReport;
  /** Why an entry of the report is not `enforced`, for the load warning and the docs. */
  gaps(grants: Grants): Partial<Record<keyof PermissionReport, string>>;
  /** Variables the runtime itself needs, added to the minimal environment. */
  env(hostEnv: NodeJS.ProcessEnv): Record<string, string>;
  /** Why this runtime cannot express the manifest's grants faithfully (each names the manifest field); the load fails with them. */
  refusals(manifest: PluginManifest, grants: Grants): string[];
  /** Whether imports of dependencies need `--allow-fs-read` on their files (node) or not (deno loads modules without read permission). */
  readsModules: boolean;
}

const HEAP_ONLY = 'the heap limit covers the JavaScript heap only, not Buffers or native memory';
const SPAWN_ESCAPES = 'child processes (extra.allowChildProcess) run outside the permission model';

/**
 * What a runtime with a permission model enforces; `coversNetwork` says whether the model includes the
 * network. With child processes allowed, whatever it checks can be sidestepped by a spawned program.
 */
function permissionModel(grants: Grants, coversNetwork: boolean): PermissionReport {
  const checked = grants.allowChildProcess ? 'partial' : 'enforced';
  return { network: coversNetwork ? checked : 'not-enforced', fsRead: checked, fsWrite: checked, env: checked, memory: 'partial', timeout: 'enforced' };
}

/**
 * Node 24 denies listing a granted dir when a grant inside it came first on the command line
 * (`--allow-fs-read=/tmp/a --allow-fs-read=/tmp` cannot `readdir('/tmp')`); shorter paths go first.
 */
const ancestorsFirst = (paths: string[]) => [...paths].sort((a, b) => a.length - b.length);

const node: RuntimeAdapter = {
  args: (g, moduleReads, engine) => [
    '--permission',
    // node:sqlite opens files outside the permission model's checks.
    '--no-experimental-sqlite',
    // One flag per path: Node 24 does not split a single value on commas.
    ...ancestorsFirst([...g.read, ...moduleReads]).map((p) => `--allow-fs-read=${p}`),
    ...ancestorsFirst(g.write).map((p) => `--allow-fs-write=${p}`),
    ...(g.allowChildProcess ? ['--allow-child-process'] : []),
    ...(g.allowWorker ? ['--allow-worker'] : []),
    `--max-old-space-size=${g.memoryMb}`,
    ...(engine.jitless ? ['--jitless'] : []),
    g.entry,
  ],
  enforcement: (g) => permissionModel(g, false),
  gaps: (g) => ({
    network: 'Node has no network permission: fetch and sockets are not blocked',
    memory: HEAP_ONLY,
    ...(g.allowChildProcess ? { fsRead: SPAWN_ESCAPES, fsWrite: SPAWN_ESCAPES, env: SPAWN_ESCAPES } : {}),
  }),
  env: () => ({}),
  refusals: () => [],
  readsModules: true,
};

/** Deno checks `--allow-net` by name: what the name resolves to is not checked. */
const DENO_NAMES_ONLY =
  "deno's --allow-net matches host names only: a listed name that resolves to a loopback or private address (DNS rebinding) is still reached";
/** An allowedHosts entry's host part: `[v6]:port`, `v4:port`, a bare v6 address, or a name. */
const hostPart = (entry: string) => /^\[([^\]]+)\]/.exec(entry)?.[1] ?? (isIP(entry) ? entry : entry.replace(/:\d+$/, ''));
const hasHostName = (g: Grants) => g.allowedHosts.some((h) => isIP(hostPart(h)) === 0);

const deno: RuntimeAdapter = {
  args: (g, _moduleReads, engine) => [
    'run',
    '--no-prompt',
    '--no-lock',
    `--allow-read=${g.read.join(',')}`,
    `--allow-write=${g.write.join(',')}`,
    ...(g.allowedHosts.length > 0 ? [`--allow-net=${g.allowedHosts.join(',')}`] : []),
    ...(g.env.length > 0 ? [`--allow-env=${g.env.join(',')}`] : []),
    ...(g.allowChildProcess ? ['--allow-run'] : []),
    `--v8-flags=--max-old-space-size=${g.memoryMb}${engine.jitless ? ',--jitless' : ''}`,
    g.entry,
  ],
  enforcement: (g) => {
    const report = permissionModel(g, true);
    return hasHostName(g) && report.network === 'enforced' ? { ...report, network: 'partial', reasons: { network: DENO_NAMES_ONLY } } : report;
  },
  gaps: (g) => ({
    memory: HEAP_ONLY,
    ...(hasHostName(g) ? { network: DENO_NAMES_ONLY } : {}),
    ...(g.allowChildProcess ? { network: SPAWN_ESCAPES, fsRead: SPAWN_ESCAPES, fsWrite: SPAWN_ESCAPES, env: SPAWN_ESCAPES } : {}),
  }),
  // No update check or prompt from a sandboxed runtime; reuse the host's module cache when it has one.
  env: (hostEnv) => ({
    DENO_NO_UPDATE_CHECK: '1',
    DENO_NO_PROMPT: '1',
    ...(hostEnv.DENO_DIR ? { DENO_DIR: hostEnv.DENO_DIR } : {}),
  }),
  refusals: denoRefusals,
  readsModules: false,
};

/**
 * Deno takes each grant as one comma-separated flag and has no escape for a comma, so
 * `fs.read: ['data,/etc']` would grant `/etc`: such a value is refused, not split.
 */
function denoRefusals(manifest: PluginManifest, g: Grants): string[] {
  const { fs, network, env } = manifest.permissions;
  const named: [string, readonly string[]][] = [
    ['permissions.fs.read', fs.read],
    ['permissions.fs.write', fs.write],
    ['permissions.network.allowedHosts', network.allowedHosts],
    ['permissions.env', env],
  ];
  const refuse = ([field, values]: [string, readonly string[]]) =>
    values.filter((v) => v.includes(',')).map((v) => `${field} ${JSON.stringify(v)} contains a comma, which deno would read as two grants`);
  const fromManifest = named.flatMap(refuse);
  // The plugin and data dirs' own paths (or a link's real path) can hold one too.
  return fromManifest.length > 0 ? fromManifest : refuse(['the resolved fs grant', [...g.read, ...g.write]]);
}

const NO_MODEL = 'Bun has no permission model';

const bun: RuntimeAdapter = {
  args: (g) => [g.entry],
  enforcement: () => ({
    network: 'not-enforced',
    fsRead: 'not-enforced',
    fsWrite: 'not-enforced',
    env: 'partial',
    memory: 'not-enforced',
    timeout: 'enforced',
  }),
  gaps: () => ({
    network: `${NO_MODEL}: the network is not restricted`,
    fsRead: `${NO_MODEL}: the file system is not restricted`,
    fsWrite: `${NO_MODEL}: the file system is not restricted`,
    env: "the environment is scrubbed, but the plugin can read its parent's /proc/<pid>/environ",
    memory: `${NO_MODEL}: no heap limit is applied`,
  }),
  env: () => ({ DO_NOT_TRACK: '1' }),
  refusals: () => [],
  readsModules: false,
};

export const ADAPTERS: Record<ProcessRuntime, RuntimeAdapter> = { node, deno, bun };
