import { existsSync, lstatSync, mkdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isInside, LoadFailedError, type SandboxErrorOptions } from '@clawdesk/sandbox';
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
  /**
   * A private dir of this start (a start dir of kind `mounts`) where `writeSandboxFiles` puts the
   * plugin's root skeleton and the mount table (libmount reads a table from a file, not a pipe).
   */
  startDir: string;
}

/** What `writeSandboxFiles` creates, in order, before the spawn. */
export type SandboxFile = { dir: string } | { file: string; text: string } | { link: string; target: string };

/** The command to spawn, and the files it needs (`writeSandboxFiles`) before it runs. */
export interface LinuxSandbox {
  launch: Launch;
  files: SandboxFile[];
}

/** The system dirs a dynamically linked runtime needs; merged-usr links (`/bin -> usr/bin`) are bound at their real path. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32'];
/** Host dirs kept under `/etc` (read-only): TLS roots. */
const ETC_DIRS = ['/etc/ssl', '/etc/ca-certificates', '/etc/pki'];
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom'];
/** The plugin's `/etc`, besides the TLS roots: no host user, no host name, no resolver (DNS is the proxy's). */
const ETC_FILES: Record<string, string> = {
  passwd: 'root:x:0:0:root:/nonexistent:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  group: 'root:x:0:\nnogroup:x:65534:\n',
  hosts: '127.0.0.1 localhost\n::1 localhost\n',
  'nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\n',
  'resolv.conf': '',
};

/**
 * The script run by `sh -c` as pid 1 of the new pid namespace, before the runtime. It is constant:
 * every path arrives as a positional argument, so no path is ever parsed by the shell.
 * $1 memory cgroup.procs, $2 pids cgroup.procs, $3 new root, $4 runtime cwd, $5 mount table,
 * $6 late mount table or '', $7 mount, $8 ip, $9 unshare, $10 setpriv, $11 count of late files,
 * $12 of late links, then those files, then (path, target) per link, then the runtime's argv.
 * Every program costs milliseconds to exec here, so the host builds the root's skeleton beforehand
 * and one `mount -a` does every mount, with `ip` bringing up loopback beside it. Only a grant
 * inside the host's `/tmp` (hidden by the private one until it is mounted) needs a second pass.
 */
export const INNER_SCRIPT = [
  'set -eu',
  // Join the plugin's cgroups first: everything below, the runtime included, is charged to them.
  '[ -z "$1" ] || echo 0 > "$1"',
  '[ -z "$2" ] || echo 0 > "$2"',
  'root=$3 wd=$4 tab=$5 late=$6 mnt=$7 ip=$8 unsh=$9 spriv=${10} n=${11} l=${12}',
  'shift 12',
  'lo=',
  '[ -z "$ip" ] || { "$ip" link set lo up & lo=$!; }',
  '"$mnt" -a -T "$tab"',
  'while [ "$n" -gt 0 ]; do [ -d "$root${1%/*}" ] || mkdir -p "$root${1%/*}"; [ -e "$root$1" ] || : > "$root$1"; shift; n=$((n - 1)); done',
  'while [ "$l" -gt 0 ]; do if [ ! -e "$root$1" ] && [ ! -L "$root$1" ]; then [ -d "$root${1%/*}" ] || mkdir -p "$root${1%/*}"; ln -s "$2" "$root$1"; fi; shift 2; l=$((l - 1)); done',
  '[ -z "$late" ] || "$mnt" -a -T "$late"',
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

/** Whether `p` exists, a dangling link included. */
const exists = (p: string) => existsSync(p) || isLink(p);

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

const depth = (p: string) => p.split('/').filter(Boolean).length;

/** Paths the shell, libmount or the kernel cannot take safely as they are. */
function checkPath(p: string, where: SandboxErrorOptions): void {
  if (!path.isAbsolute(p) || p.includes('\0')) {
    throw new LoadFailedError(`the OS sandbox cannot expose the path ${JSON.stringify(p)} (not absolute, or contains NUL)`, where);
  }
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
  if (binds.some((b) => !isDir(b.p) && !isDir(path.dirname(b.p)))) {
    throw new LoadFailedError('the OS sandbox cannot expose a file whose directory is missing', where);
  }
  const dirs = binds.filter((b) => isDir(b.p)).sort((a, b) => depth(a.target) - depth(b.target));
  const files = binds.filter((b) => !isDir(b.p));
  /** Whether a bound dir already shows `p` (then the plugin sees the host's own entry there). */
  const shown = (p: string) =>
    dirs.some((d) => d.target !== p && isInside(d.target, p) && exists(path.join(d.p, path.relative(d.target, p))));

  const root = path.join(spec.startDir, 'root');
  const at = (target: string) => path.join(root, target);
  /** Inside the private `/tmp`, which hides the skeleton's entries until it is mounted. */
  const late = (p: string) => p !== '/tmp' && isInside('/tmp', p) && !shown(p);
  const lateFiles = files.filter((f) => late(f.p));
  const lateLinks = [...links].filter(([p]) => late(p));
  // The skeleton: a mountpoint for every mount, `/etc` and the device files. Mountpoints under a
  // bound dir are that dir's own entries; the skeleton's copies of them stay hidden under it.
  const skeleton: SandboxFile[] = [
    ...['/', '/proc', '/tmp', '/dev', '/etc', ...dirs.map((d) => d.target)].map((d) => ({ dir: at(d) })),
    ...DEVICES.map((d) => ({ file: at(`/dev/${d}`), text: '' })),
    ...Object.entries(ETC_FILES).map(([name, text]) => ({ file: at(`/etc/${name}`), text })),
    ...files.filter((f) => !shown(f.p) && !late(f.p)).flatMap((f) => [{ dir: at(path.dirname(f.p)) }, { file: at(f.p), text: '' }]),
    // A granted path that is a link (a workspace package in node_modules) is recreated as a link to
    // its bound target. Links resolve inside this root only.
    ...[...links].filter(([p]) => !shown(p) && !late(p)).flatMap(([p, target]) => [{ dir: at(path.dirname(p)) }, { link: at(p), target }]),
  ];
  const line = (source: string, target: string, type: string, options: string) => `${fstabField(source)} ${fstabField(target)} ${type} ${options} 0 0`;
  const fileBind = (b: { p: string; mode: string }) => line(b.p, at(b.p), 'none', `bind,${b.mode},nosuid,nodev`);
  // In order: the root (read-only), the kernel file systems, every directory bind (parents before
  // children; X-mount.mkdir for those inside the private /tmp), then the file binds and devices,
  // whose mountpoints may lie inside a bound dir.
  const mounts = [
    line(root, root, 'none', 'bind,ro,nosuid,nodev'),
    line('proc', at('/proc'), 'proc', 'nosuid,nodev,noexec'),
    line('clawdesk', at('/tmp'), 'tmpfs', `mode=1777,nosuid,nodev,size=${spec.tmpMb}m`),
    ...dirs.map((b) => line(b.p, at(b.target), 'none', `bind,${b.mode},nosuid,nodev,X-mount.mkdir`)),
    ...files.filter((f) => !lateFiles.includes(f)).map(fileBind),
    ...DEVICES.map((d) => line(`/dev/${d}`, at(`/dev/${d}`), 'none', 'bind,nosuid,noexec')),
  ];
  const tables = [
    { file: path.join(spec.startDir, 'mounts.fstab'), text: `${mounts.join('\n')}\n` },
    ...(lateFiles.length > 0 ? [{ file: path.join(spec.startDir, 'late.fstab'), text: `${lateFiles.map(fileBind).join('\n')}\n` }] : []),
  ];

  const cwd = real(launch.cwd) ?? launch.cwd;
  const [memoryProcs = '', pidsProcs = ''] = spec.cgroupProcs;
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
    tables[1]?.file ?? '',
    tools.mount,
    tools.ip ?? '',
    tools.unshare,
    tools.setpriv,
    String(lateFiles.length),
    String(lateLinks.length),
    ...lateFiles.map((f) => f.p),
    ...lateLinks.flat(),
    runtimeDir ?? launch.file,
    ...launch.args,
  ];
  return {
    launch: { file: tools.setpriv, args, cwd: '/', env: launch.env },
    files: [...skeleton, ...tables],
  };
}

/** Creates the root skeleton and the mount table of `sandbox` (in its start dir, which must exist). */
export function writeSandboxFiles(sandbox: LinuxSandbox): void {
  for (const entry of sandbox.files) {
    if ('dir' in entry) mkdirSync(entry.dir, { recursive: true, mode: 0o755 });
    else if ('link' in entry) symlinkSync(entry.target, entry.link);
    else writeFileSync(entry.file, entry.text, { mode: 0o644 });
  }
}
