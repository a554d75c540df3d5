import { realpathSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginManifest } from '@clawdesk/manifest';

/** An MCP root: a directory the client (here, the host) lets the server work in. */
export interface Root {
  uri: string;
  name: string;
}

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/**
 * What the host answers to a server's `roots/list`: the directories granted in `permissions.fs`
 * (manifest and operator, read and write), as `file://` URIs. Not the plugin's own dir or its data
 * dir: servers such as server-filesystem serve exactly their roots, and those are the plugin's code
 * and private state, not what the operator shared.
 */
export function rootsFor(manifest: PluginManifest): Root[] {
  const dir = real(manifest.dir);
  const seen = new Set<string>();
  const roots: Root[] = [];
  for (const p of [...manifest.permissions.fs.read, ...manifest.permissions.fs.write]) {
    const abs = real(path.resolve(dir, p));
    if (abs === dir || seen.has(abs)) continue;
    seen.add(abs);
    roots.push({ uri: pathToFileURL(abs).href, name: path.basename(abs) || abs });
  }
  return roots;
}
