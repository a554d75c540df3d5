import { lstatSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LoadFailedError, type SandboxErrorOptions } from '@clawdesk/sandbox';
import type { Launch } from '../runtime/launch.js';

/** Absolute paths of the util-linux (and iproute2) programs the sandbox chain runs. */
export interface LinuxTools {
  unshare: string;
  setpriv: string;
  mount: string;
  /** `ip`, to bring up `lo` in the new network namespace; without it the namespace has no loopback. */
  ip?: string;
}

/** What the plugin's new root shows, besides the system dirs, `/dev`, `/proc`, `/etc` and `/tmp`. */
export interface MountPlan {
  /** Visible read-only at the same absolute path (plugin dir, runtime, dependencies, fs.read). */
  readOnly: string[];
  /** Visible read-write (fs.write, the data dir). Wins over a read-only grant of the same path. */
  readWrite: string[];
}

export interface LinuxSandboxSpec {
  launch: Launch;
  plan: MountPlan;
  tools: LinuxTools;
  /** `cgroup.procs` files the tree joins before the runtime starts (memory, pids). */
  cgroupProcs: string[];
  /** Not root: add a user namespace mapping the caller to root inside (mounts need it). */
  userNamespace: boolean;
  /** Size of the private `/tmp` in MiB (tmpfs pages count against the memory cgroup too). */
  tmpMb: number;
  /** Where the two mount tables go (libmount reads a table from a file, not a pipe); a start dir of kind `mounts`, see `writeMountTables`. */
  tablesDir: string;
}

/** The command to spawn, and the mount tables to write (`writeMountTables`) before spawning it. */
export interface LinuxSandbox {
  launch: Launch;
  tables: Array<{ file: string; text: string }>;
}

/** The system dirs a dynamically linked runtime needs; merged-usr links (`/bin -> usr/bin`) are bound at their real path. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32'];
/** Host dirs kept under `/etc` (read-only): TLS roots. */
const ETC_DIRS = ['/etc/ssl', '/etc/ca-certificates', '/etc/pki'];
/** Candidate mountpoints for the new root, in the new mount namespace only; one that holds no granted path is used. */
const ROOT_CANDIDATES = ['/media', '/srv', '/mnt', '/opt', '/boot', '/home'];
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom'];

/**
 * The script run by `sh -c` as pid 1 of the new pid namespace, before the runtime. It is constant:
 * every path arrives as a positional argument, so no path is ever parsed by the shell.
 * $1 memory cgroup.procs, $2 pids cgroup.procs, $3 new root, $4 runtime cwd, $5 mount table of the
 * first stage, $6 of the second, $7 mount, $8 ip, $9 unshare, $10 setpriv, $11 count
 * of file targets, $12 count of links, then those targets, then (path, target) per link, then the runtime's argv.
 * Every program it runs costs milliseconds to exec, so it runs as few as it can: two `mount -a`
 * (the root and every directory, then what needed files created first), and `ip` beside them.
 */
export const INNER_SCRIPT = [
  'set -eu',
  // Join the plugin's cgroups first: everything below, the runtime included, is charged to them.
  '[ -z "$1" ] || echo 0 > "$1"',
  '[ -z "$2" ] || echo 0 > "$2"',
  'root=$3 wd=$4 tab1=$5 tab2=$6 mnt=$7 ip=$8 unsh=$9 spriv=${10} n=${11} l=${12}',
  'lo=',
  '[ -z "$ip" ] || { "$ip" link set lo up & lo=$!; }',
  '"$mnt" -a -T "$tab1"',
  'shift 12',
  // A file bound over itself needs a target, unless a bound dir already shows the file.
  'while [ "$n" -gt 0 ]; do [ -e "$root$1" ] || : > "$root$1"; shift; n=$((n - 1)); done',
  // A granted path that is a link (a workspace package in node_modules) is recreated as a link to
  // its bound target, unless a bound dir already shows it. Links resolve inside this root only.
  'while [ "$l" -gt 0 ]; do if [ ! -e "$root$1" ] && [ ! -L "$root$1" ]; then mkdir -p "$root${1%/*}"; ln -s "$2" "$root$1"; fi; shift 2; l=$((l - 1)); done',
  'for d in null zero full random urandom; do : > "$root/dev/$d"; done',
  `printf 'root:x:0:0:root:/nonexistent:/usr/sbin/nologin\\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\\n' > "$root/etc/passwd"`,
  `printf 'root:x:0:\\nnogroup:x:65534:\\n' > "$root/etc/group"`,
  `printf '127.0.0.1 localhost\\n::1 localhost\\n' > "$root/etc/hosts"`,
  `printf 'passwd: files\\ngroup: files\\nhosts: files dns\\n' > "$root/etc/nsswitch.conf"`,
  `: > "$root/etc/resolv.conf"`,
  '"$mnt" -a -T "$tab2"',
  '[ -z "$lo" ] || wait "$lo"',
  // The shell exported its own PWD: the plugin gets exactly the environment the driver built.
  'unset PWD OLDPWD',
  'exec "$unsh" --root "$root" --wd "$wd" -- "$spriv" --no-new-privs --bounding-set=-all --inh-caps=-all --ambient-caps=-all -- "$@"',
].join('\n');

/** fstab fields escape whitespace and backslashes as octal (libmount unescapes them). */
const fstabField = (p: string) => p.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

const isLink = (p: string) => {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
};

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);

const depth = (p: string) => p.split('/').filter(Boolean).length;

/** Paths the shell, libmount or the kernel cannot take safely as they are. */
function checkPath(p: string, where: SandboxErrorOptions): void {
  if (!path.isAbsolute(p) || p.includes('\0')) {
    throw new LoadFailedError(`the OS sandbox cannot expose the path ${JSON.stringify(p)} (not absolute, or contains NUL)`, where);
  }
}

/** The first candidate mountpoint for the new root that no exposed path lives under. */
function pickRoot(sources: string[], where: SandboxErrorOptions): string {
  for (const candidate of ROOT_CANDIDATES) {
    const dir = real(candidate);
    if (dir && isDir(dir) && !lstatSync(candidate).isSymbolicLink() && !sources.some((s) => inside(dir, s) || inside(s, dir))) return dir;
  }
  throw new LoadFailedError(`the OS sandbox found no mountpoint for the plugin's root (tried ${ROOT_CANDIDATES.join(', ')})`, where);
}

/**
 * The command that runs `launch` inside new mount, pid, network, IPC and UTS namespaces:
 * `setpriv --pdeathsig KILL -- unshare … --kill-child -- sh -c INNER_SCRIPT …`. The runtime becomes
 * pid 1 of its pid namespace, so every descendant dies with it, and `unshare` with the host.
 */
export function buildLinuxLaunch(spec: LinuxSandboxSpec, where: SandboxErrorOptions): LinuxSandbox {
  const { launch, plan, tools } = spec;
  const rw = new Set<string>();
  const ro = new Set<string>();
  const links = new Map<string, string>();
  /** A granted link is shown as a link to its real target; the target is what gets bound. */
  const noteLink = (p: string, r: string) => {
    if (r !== path.resolve(p) && isLink(p)) links.set(path.resolve(p), r);
  };
  for (const p of plan.readWrite) {
    checkPath(p, where);
    const r = real(p);
    if (r) {
      rw.add(r);
      noteLink(p, r);
    }
  }
  // System dirs keep their own name (`/lib64` even where it links to `usr/lib64`: the ELF interpreter path).
  const system = SYSTEM_DIRS.flatMap((target) => {
    const source = real(target);
    return source && isDir(source) ? [{ p: source, target, mode: 'ro' }] : [];
  });
  const runtimeDir = real(launch.file);
  for (const p of [...ETC_DIRS.map(real).filter((p): p is string => p !== undefined), ...(runtimeDir ? [path.dirname(runtimeDir)] : []), ...plan.readOnly]) {
    checkPath(p, where);
    const r = real(p);
    if (r && !rw.has(r)) ro.add(r);
    if (r) noteLink(p, r);
  }
  const binds = [...system, ...[...ro].map((p) => ({ p, target: p, mode: 'ro' })), ...[...rw].map((p) => ({ p, target: p, mode: 'rw' }))];
  const root = pickRoot(binds.map((b) => b.p), where);
  const files = binds.filter((b) => !isDir(b.p));

  const line = (source: string, target: string, type: string, options: string) => `${fstabField(source)} ${fstabField(target)} ${type} ${options} 0 0`;
  const tmpfs = (target: string, options: string) => line('clawdesk', path.join(root, target), 'tmpfs', `${options},X-mount.mkdir`);
  // Stage 1: the root, the kernel file systems and every directory bind (parents before children).
  // File binds need their target created first, so they wait for stage 2 with the device nodes.
  const ordered = [
    { target: '/proc', text: line('proc', path.join(root, 'proc'), 'proc', 'nosuid,nodev,noexec,X-mount.mkdir') },
    { target: '/tmp', text: tmpfs('tmp', `mode=1777,nosuid,nodev,size=${spec.tmpMb}m`) },
    { target: '/dev', text: tmpfs('dev', 'mode=755,nosuid,noexec,size=64k') },
    { target: '/etc', text: tmpfs('etc', 'mode=755,nosuid,nodev,noexec,size=64k') },
    ...binds
      .filter((b) => isDir(b.p))
      .map((b) => ({ target: b.target, text: line(b.p, path.join(root, b.target), 'none', `bind,${b.mode},nosuid,nodev,X-mount.mkdir`) })),
  ].sort((a, b) => depth(a.target) - depth(b.target));
  const stage1 = [line('clawdesk', root, 'tmpfs', 'mode=755,nosuid,nodev,size=1m'), ...ordered.map((o) => o.text)];
  const stage2 = [
    ...files.map((b) => line(b.p, path.join(root, b.p), 'none', `bind,${b.mode},nosuid,nodev`)),
    ...DEVICES.map((d) => line(`/dev/${d}`, path.join(root, 'dev', d), 'none', 'bind,nosuid,noexec')),
    // Nothing left to create: /dev and /etc become read-only (the root itself once its table is emptied).
    line('none', path.join(root, 'etc'), 'none', 'remount,bind,ro'),
    line('none', path.join(root, 'dev'), 'none', 'remount,bind,ro'),
    line('none', root, 'none', 'remount,bind,ro'),
  ];
  if (files.some((b) => !isDir(path.dirname(b.p)))) {
    throw new LoadFailedError('the OS sandbox cannot expose a file whose directory is missing', where);
  }

  const fileTargets = files.map((b) => b.p);
  const cwd = real(launch.cwd) ?? launch.cwd;
  const [memoryProcs = '', pidsProcs = ''] = spec.cgroupProcs;
  const tables = [stage1, stage2].map((lines, i) => ({ file: path.join(spec.tablesDir, `stage${i + 1}.fstab`), text: `${lines.join('\n')}\n` }));
  const args = [
    '--pdeathsig',
    'KILL',
    '--',
    tools.unshare,
    ...(spec.userNamespace ? ['--user', '--map-root-user'] : []),
    '--mount',
    '--net',
    '--pid',
    '--ipc',
    '--uts',
    '--fork',
    '--kill-child',
    '--propagation',
    'private',
    '--',
    '/bin/sh',
    '-c',
    INNER_SCRIPT,
    'clawdesk-sandbox',
    memoryProcs,
    pidsProcs,
    root,
    cwd,
    tables[0]!.file,
    tables[1]!.file,
    tools.mount,
    tools.ip ?? '',
    tools.unshare,
    tools.setpriv,
    String(fileTargets.length),
    String(links.size),
    ...fileTargets,
    ...[...links].flat(),
    runtimeDir ?? launch.file,
    ...launch.args,
  ];
  return { launch: { file: tools.setpriv, args, cwd: '/', env: launch.env }, tables };
}

export function writeMountTables(sandbox: LinuxSandbox): void {
  for (const { file, text } of sandbox.tables) writeFileSync(file, text, { mode: 0o600 });
}
