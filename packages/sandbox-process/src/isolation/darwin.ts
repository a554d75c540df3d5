import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LoadFailedError, type SandboxErrorOptions } from '@clawdesk/sandbox';
import type { Launch } from '../runtime/launch.js';

/** Where macOS keeps the Seatbelt front end; the OS sandbox on darwin exists only where it does. */
export const SANDBOX_EXEC = '/usr/bin/sandbox-exec';

export interface DarwinProfileSpec {
  /** Read-only: the runtime's dir, the plugin dir, its dependencies, `permissions.fs.read`. */
  readOnly: string[];
  /** Read-write: `permissions.fs.write`, the data dir, the process's private tmp dir. */
  readWrite: string[];
  /** The host's egress proxy on loopback, the only address the plugin may connect to; none: no network at all. */
  proxyPort?: number;
}

/** System locations every runtime reads (dyld, frameworks, TLS roots, time zones), and nothing of any user. */
const SYSTEM_READ = [
  '/usr/lib',
  '/usr/share',
  '/usr/bin',
  '/usr/sbin',
  '/bin',
  '/sbin',
  '/System',
  '/Library/Apple',
  '/private/etc/ssl',
  '/private/var/db/timezone',
  // Package managers' runtimes and the libraries they link (Homebrew's node links libuv, icu, openssl there).
  '/opt/homebrew/Cellar',
  '/opt/homebrew/opt',
  '/usr/local/Cellar',
  '/usr/local/opt',
  '/usr/local/lib',
];
const SYSTEM_READ_FILES = ['/private/etc/localtime', '/dev/random', '/dev/urandom', '/dev/zero', '/dev/null'];
/** Mach services the runtimes look up at start (user and group lookups, logging, notifications). */
const MACH_SERVICES = ['com.apple.system.opendirectoryd.libinfo', 'com.apple.system.notification_center', 'com.apple.logd', 'com.apple.system.logger'];

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/**
 * A Seatbelt string literal. Backslashes and double quotes are escaped; every other byte is taken
 * as it is (parentheses included: inside quotes they are not syntax). Control characters are refused.
 */
export function sbplString(value: string, where: SandboxErrorOptions = {}): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new LoadFailedError(`the macOS sandbox cannot express the path ${JSON.stringify(value)} (control character)`, where);
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Every ancestor of `p`, for the metadata a runtime reads when it resolves a path (`realpath`). */
const ancestors = (p: string) => {
  const out: string[] = [];
  for (let dir = path.dirname(p); ; dir = path.dirname(dir)) {
    out.push(dir);
    if (dir === path.dirname(dir)) return out;
  }
};

/**
 * The `sandbox-exec` profile for one plugin: deny by default; read the system's libraries and the
 * read-only grants; read and write the read-write grants; see the metadata of the grants' ancestors
 * (so paths resolve) and nothing else of the file system — no home, no other user's files; connect
 * to the egress proxy's loopback port only, or to nothing. Paths are resolved (macOS checks the real
 * path: `/tmp` is `/private/tmp`), so `resolve` is injectable for tests. Pure: no file is written.
 */
export function buildDarwinProfile(spec: DarwinProfileSpec, where: SandboxErrorOptions = {}, resolve: (p: string) => string = real): string {
  for (const p of [...spec.readOnly, ...spec.readWrite]) {
    if (!path.isAbsolute(p)) throw new LoadFailedError(`the macOS sandbox cannot express the relative path ${JSON.stringify(p)}`, where);
  }
  const rw = [...new Set(spec.readWrite.map(resolve))];
  const ro = [...new Set(spec.readOnly.map(resolve))].filter((p) => !rw.includes(p));
  const s = (p: string) => sbplString(p, where);
  const subpaths = (paths: string[]) => paths.map((p) => `(subpath ${s(p)})`).join(' ');
  const literals = (paths: string[]) => paths.map((p) => `(literal ${s(p)})`).join(' ');
  const metadata = [...new Set([...ro, ...rw].flatMap(ancestors))].sort();
  const lines = [
    '(version 1)',
    '(deny default)',
    // The runtime and what it starts stay in this profile: a descendant inherits it and cannot drop it.
    '(allow process-fork)',
    '(allow process-exec)',
    '(allow signal (target same-sandbox))',
    '(allow process-info* (target self))',
    '(allow sysctl-read)',
    `(allow mach-lookup ${MACH_SERVICES.map((name) => `(global-name ${s(name)})`).join(' ')})`,
    '(allow ipc-posix-shm-read-data ipc-posix-shm-write-data ipc-posix-shm-write-create)',
    `(allow file-read* ${subpaths(SYSTEM_READ)} ${literals(SYSTEM_READ_FILES)})`,
    `(allow file-write-data ${literals(['/dev/null'])})`,
    ...(metadata.length ? [`(allow file-read-metadata ${literals(metadata)})`] : []),
    ...(ro.length ? [`(allow file-read* ${subpaths(ro)})`] : []),
    ...(rw.length ? [`(allow file-read* file-write* ${subpaths(rw)})`] : []),
    ...(spec.proxyPort === undefined ? [] : [`(allow network-outbound (remote ip ${s(`localhost:${spec.proxyPort}`)}))`]),
  ];
  return `${lines.join('\n')}\n`;
}

/** `sandbox-exec -p <profile> <runtime> <args…>`: the runtime and every descendant inside the profile. */
export function buildDarwinLaunch(launch: Launch, profile: string, sandboxExec = SANDBOX_EXEC): Launch {
  return { ...launch, file: sandboxExec, args: ['-p', profile, launch.file, ...launch.args] };
}

/** What the self-probe saw, one entry per claim; each `ok` only when the denial was observed. */
export interface DarwinProbeResults {
  /** `/usr/bin/sandbox-exec`, when it exists. */
  sandboxExec?: string;
  /** The host's node ran inside a profile built by `buildDarwinProfile` (a profile that breaks runtimes is no sandbox). */
  runtime: { ok: boolean; detail: string };
  /** `cat` of a file outside the grants failed inside the profile, and of one inside succeeded. */
  files: { ok: boolean; detail: string };
  /** A connection to loopback was refused by the profile (EPERM), not by the kernel (ECONNREFUSED). */
  network: { ok: boolean; detail: string };
}

export type DarwinDecision =
  | { available: true; sandboxExec: string; network: boolean; networkReason?: string }
  | { available: false; reason: string; install: string };

const NO_SANDBOX_INSTALL = 'sandbox-exec ships with macOS (/usr/bin/sandbox-exec); without it pass isolation: "off" or run on Linux';

/**
 * Whether the macOS sandbox is used, from what the probe confirmed: files must be confirmed (and a
 * runtime must start) for it to be used at all; the network is claimed only if its denial was seen.
 */
export function decideDarwin(results: DarwinProbeResults): DarwinDecision {
  if (!results.sandboxExec) return { available: false, reason: `macOS: ${SANDBOX_EXEC} not found`, install: NO_SANDBOX_INSTALL };
  if (!results.runtime.ok) {
    return { available: false, reason: `macOS: a runtime does not start inside the sandbox-exec profile (${results.runtime.detail})`, install: NO_SANDBOX_INSTALL };
  }
  if (!results.files.ok) {
    return { available: false, reason: `macOS: the sandbox-exec profile did not deny a file outside the grants (${results.files.detail})`, install: NO_SANDBOX_INSTALL };
  }
  return results.network.ok
    ? { available: true, sandboxExec: results.sandboxExec, network: true }
    : { available: true, sandboxExec: results.sandboxExec, network: false, networkReason: `the sandbox-exec profile did not deny a loopback connection (${results.network.detail})` };
}

export type SpawnSyncLike = (file: string, args: string[]) => Pick<SpawnSyncReturns<string>, 'status' | 'stdout' | 'stderr' | 'error'>;

const defaultRun: SpawnSyncLike = (file, args) => spawnSync(file, args, { encoding: 'utf8', timeout: 10_000, env: { PATH: '/usr/bin:/bin' } });

const NET_PROBE = "const s=require('net').connect(1,'127.0.0.1');s.on('error',e=>process.stdout.write(String(e.code)));s.on('connect',()=>{process.stdout.write('CONNECTED');s.destroy()})";

const lastLine = (r: { stderr?: string | null; error?: Error | undefined; status: number | null }) =>
  (r.stderr || r.error?.message || `exit ${String(r.status)}`).trim().split('\n').slice(-1)[0] ?? '';

/**
 * Runs the macOS self-probe once: the host's node under a profile with only its own dir (it must
 * start, and its connection to loopback must fail with EPERM), and `cat` of a granted and of an
 * ungranted file. `run` and `exists` are injectable so the decision is testable off macOS.
 */
export function probeDarwin(run: SpawnSyncLike = defaultRun, exists: (p: string) => boolean = existsSync, node = process.execPath): DarwinProbeResults {
  if (!exists(SANDBOX_EXEC)) return { runtime: { ok: false, detail: 'not run' }, files: { ok: false, detail: 'not run' }, network: { ok: false, detail: 'not run' } };
  const dir = mkdtempSync(path.join(tmpdir(), 'clawdesk-seatbelt-probe-'));
  try {
    const granted = path.join(dir, 'granted');
    const hidden = path.join(dir, 'hidden');
    mkdirSync(granted);
    mkdirSync(hidden);
    writeFileSync(path.join(granted, 'a.txt'), 'visible');
    writeFileSync(path.join(hidden, 'b.txt'), 'secret');
    const profile = buildDarwinProfile({ readOnly: [path.dirname(real(node)), granted], readWrite: [] });
    const runtime = run(SANDBOX_EXEC, ['-p', profile, node, '-e', NET_PROBE]);
    const code = String(runtime.stdout ?? '').trim();
    const started = runtime.status === 0 && code !== '';
    const allowed = run(SANDBOX_EXEC, ['-p', profile, '/bin/cat', path.join(granted, 'a.txt')]);
    const denied = run(SANDBOX_EXEC, ['-p', profile, '/bin/cat', path.join(hidden, 'b.txt')]);
    const filesOk = allowed.status === 0 && String(allowed.stdout) === 'visible' && denied.status !== 0 && !String(denied.stdout).includes('secret');
    return {
      sandboxExec: SANDBOX_EXEC,
      runtime: { ok: started, detail: started ? `node started (${code})` : lastLine(runtime) },
      files: {
        ok: filesOk,
        detail: filesOk ? 'an ungranted file was denied' : allowed.status !== 0 ? `a granted file was not readable: ${lastLine(allowed)}` : 'an ungranted file was read',
      },
      network: { ok: code === 'EPERM', detail: code === 'EPERM' ? 'a loopback connection was denied' : `a loopback connection ended with ${code || 'nothing'}` },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
