import { ISOLATION_MODES, type EgressProvider, type IsolationMode } from './isolation/index.js';
import { checkEnvValues, checkPermissionGrants, type PermissionGrant } from './operator/grants.js';

/** The runtimes this driver starts. */
export type ProcessRuntime = 'node' | 'bun' | 'deno';

export const PROCESS_RUNTIMES: readonly ProcessRuntime[] = ['node', 'bun', 'deno'];

export interface ProcessDriverOptions {
  /**
   * Runtime binaries, as a path or a command looked up on `PATH`.
   * Default: `node` is the host's own binary (`process.execPath`), `bun` and `deno` come from `PATH`.
   */
  runtimes?: Partial<Record<ProcessRuntime, string>>;
  /** Budget for spawn → `initialize` → `tools/list`. Default `DEFAULT_START_TIMEOUT_MS` (15 s); a host passes its own (or the manifest's `startTimeoutMs`). */
  startTimeoutMs?: number;
  /**
   * After a call times out, how long the plugin has to answer the `notifications/cancelled`
   * before its process group is killed and restarted. Default `DEFAULT_CANCEL_GRACE_MS` (100 ms).
   */
  cancelGraceMs?: number;
  /** Delay between SIGTERM and SIGKILL when a process group is stopped. Default `DEFAULT_KILL_GRACE_MS` (2 s). */
  killGraceMs?: number;
  /** Largest single message a plugin may write to stdout. Default `DEFAULT_MAX_MESSAGE_BYTES` (16 MiB). */
  maxMessageBytes?: number;
  /**
   * Log lines (stderr, `host/log`, MCP `notifications/message`) a plugin process may send the host's
   * logger per second; more are dropped and their count logged as a warning. Default `DEFAULT_MAX_LOG_LINES_PER_SECOND` (1 000).
   */
  maxLogLinesPerSecond?: number;
  /**
   * node only: also allow reading the `node_modules` folders above the plugin dir (and the packages
   * they link to), so a plugin inside a workspace can import its dependencies. Default `true`;
   * `false` confines reads to the plugin dir, `permissions.fs.read` and the data dir.
   */
  allowAncestorNodeModules?: boolean;
  /**
   * The OS sandbox (Linux: namespaces + cgroups, see README "OS isolation"). `prefer` (default): use it
   * where the machine has it, else warn once and rely on the runtime; `require`: refuse to start a plugin
   * without it (`IsolationUnavailableError`); `off`: never.
   */
  isolation?: IsolationMode;
  /** The egress proxy serving each sandboxed plugin's network namespace. */
  egress?: EgressProvider;
  /**
   * Per plugin name: permissions the operator grants on top of the manifest's (lists unioned,
   * `memoryMb` replaced). Paths may be absolute, e.g. the directory an MCP filesystem server should serve.
   */
  permissions?: Record<string, PermissionGrant>;
  /** Per plugin name: environment variables set in the plugin's process (e.g. an API key an MCP server reads). */
  env?: Record<string, Record<string, string>>;
  /**
   * node and deno: run V8 without its JIT compilers (`--jitless`). Less memory per plugin (about 3 MiB
   * idle, 10 MiB or more after heavy use, since no machine code is kept) for slower JavaScript (30–100 %
   * more CPU per call in the plugin), and no WebAssembly in the plugin. bun: no effect.
   * Default `false` (see README "Memory per plugin").
   */
  jitless?: boolean;
}

export const DEFAULT_START_TIMEOUT_MS = 15_000;
export const DEFAULT_CANCEL_GRACE_MS = 100;
export const DEFAULT_KILL_GRACE_MS = 2_000;
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_LOG_LINES_PER_SECOND = 1_000;

/** Options with every default filled in, validated once in `createProcessDriver`. */
export interface DriverConfig {
  runtimes: Partial<Record<ProcessRuntime, string>>;
  startTimeoutMs: number;
  cancelGraceMs: number;
  killGraceMs: number;
  maxMessageBytes: number;
  maxLogLinesPerSecond: number;
  allowAncestorNodeModules: boolean;
  isolation: IsolationMode;
  egress?: EgressProvider;
  permissions: Record<string, PermissionGrant>;
  env: Record<string, Record<string, string>>;
  jitless: boolean;
}

const describeValue = (value: unknown) => `${JSON.stringify(value) ?? String(value)} (${value === null ? 'null' : typeof value})`;

function positiveInteger(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`createProcessDriver: option "${name}" must be an integer >= ${min}, got ${describeValue(value)}`);
  }
  return value;
}

/** Fills defaults and rejects bad options before any work, naming the option, what was expected and what arrived. */
export function resolveOptions(options: ProcessDriverOptions = {}): DriverConfig {
  const runtimes = options.runtimes ?? {};
  for (const [name, value] of Object.entries(runtimes)) {
    if (!PROCESS_RUNTIMES.includes(name as ProcessRuntime)) {
      throw new TypeError(`createProcessDriver: option "runtimes" has unknown runtime "${name}" (expected one of ${PROCESS_RUNTIMES.join(', ')})`);
    }
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`createProcessDriver: option "runtimes.${name}" must be a non-empty string, got ${describeValue(value)}`);
    }
  }
  const allow = options.allowAncestorNodeModules ?? true;
  if (typeof allow !== 'boolean') {
    throw new TypeError(`createProcessDriver: option "allowAncestorNodeModules" must be a boolean, got ${describeValue(allow)}`);
  }
  const jitless = options.jitless ?? false;
  if (typeof jitless !== 'boolean') {
    throw new TypeError(`createProcessDriver: option "jitless" must be a boolean, got ${describeValue(jitless)}`);
  }
  const isolation = options.isolation ?? 'prefer';
  if (!ISOLATION_MODES.includes(isolation)) {
    throw new TypeError(`createProcessDriver: option "isolation" must be one of ${ISOLATION_MODES.join(', ')}, got ${describeValue(isolation)}`);
  }
  return {
    ...(options.egress ? { egress: options.egress } : {}),
    isolation,
    runtimes: { ...runtimes },
    startTimeoutMs: positiveInteger('startTimeoutMs', options.startTimeoutMs, DEFAULT_START_TIMEOUT_MS, 1),
    cancelGraceMs: positiveInteger('cancelGraceMs', options.cancelGraceMs, DEFAULT_CANCEL_GRACE_MS, 0),
    killGraceMs: positiveInteger('killGraceMs', options.killGraceMs, DEFAULT_KILL_GRACE_MS, 0),
    maxMessageBytes: positiveInteger('maxMessageBytes', options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES, 1024),
    maxLogLinesPerSecond: positiveInteger('maxLogLinesPerSecond', options.maxLogLinesPerSecond, DEFAULT_MAX_LOG_LINES_PER_SECOND, 1),
    allowAncestorNodeModules: allow,
    permissions: checkPermissionGrants(options.permissions),
    env: checkEnvValues(options.env),
    jitless,
  };
}
