import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './workspace.js';

// What a published package's `engines.node` has to honour: the `engines.node` of every package it
// installs for production (the whole tree, as the workspace lockfile resolves it), and the Node
// features its own code relies on.

/** Node features the packages' own code needs, with the first releases that have them unflagged. */
export const FEATURE_FLOORS: Record<string, { feature: string; range: string }[]> = {
  // `--permission` without `--experimental-permission` (runtime/adapters.ts launches node plugins with it).
  '@clawdesk/sandbox-process': [{ feature: "Node's permission model (--permission)", range: '>=22.13.0' }],
  // In-thread resolve/load hooks for the OpenClaw shims (child/shim-hook.ts).
  '@clawdesk/openclaw': [{ feature: 'module.registerHooks', range: '>=22.15.0' }],
};

interface LockEntry {
  version?: string;
  link?: boolean;
  resolved?: string;
  engines?: { node?: string } | string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export interface EngineConstraint {
  /** The dependency (`name@version`), or the feature. */
  from: string;
  /** How it is reached: `@clawdesk/host > pacote > cacache`. */
  via: string;
  range: string;
}

function readLock(): Record<string, LockEntry> {
  const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  return lock.packages;
}

/** Where Node would find `name` from the package installed at `from` (a lockfile key). */
function resolveFrom(lock: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const key = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (lock[key] !== undefined) return key;
    if (dir === '') return undefined;
    const nested = dir.lastIndexOf('/node_modules/');
    if (nested >= 0) dir = dir.slice(0, nested);
    else if (dir.startsWith('node_modules/')) dir = '';
    else dir = path.posix.dirname(dir) === '.' ? '' : path.posix.dirname(dir);
  }
}

/** Every `engines.node` in the production dependency tree of the workspace package at `relativeDir`. */
export function engineConstraints(relativeDir: string): EngineConstraint[] {
  const lock = readLock();
  const out: EngineConstraint[] = [];
  const seen = new Set<string>();
  const queue: { key: string; via: string }[] = [{ key: relativeDir, via: '' }];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    const entry = lock[item.key];
    if (entry === undefined) throw new Error(`package-lock.json has no entry ${item.key}`);
    const at = entry.link === true && entry.resolved !== undefined ? entry.resolved : item.key;
    const real = lock[at] ?? entry;
    const optionalPeers = new Set(Object.entries(real.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional === true).map(([n]) => n));
    const names = [
      ...Object.keys(real.dependencies ?? {}),
      ...Object.keys(real.optionalDependencies ?? {}),
      ...Object.keys(real.peerDependencies ?? {}).filter((n) => !optionalPeers.has(n)),
    ];
    for (const name of names) {
      const key = resolveFrom(lock, at, name);
      if (key === undefined || seen.has(key)) continue;
      seen.add(key);
      const dep = lock[key]!;
      const target = dep.link === true && dep.resolved !== undefined ? (lock[dep.resolved] ?? dep) : dep;
      const via = item.via === '' ? name : `${item.via} > ${name}`;
      const range = Array.isArray(target.engines) ? undefined : target.engines?.node;
      if (range !== undefined) out.push({ from: `${name}@${target.version ?? '?'}`, via, range });
      queue.push({ key, via });
    }
  }
  return out;
}
