// The Node versions clawdesk runs on. Older ones fail deep inside dependencies (execa calls
// Set.prototype.union, added in Node 22), so every package refuses them first, with this error.

/** The oldest Node major the packages support (their `engines.node` starts here). */
export const MIN_NODE_MAJOR = 22;

export interface RuntimeVersions {
  node?: string | undefined;
  bun?: string | undefined;
  deno?: string | undefined;
}

/**
 * Why this runtime cannot run clawdesk, or `undefined` when it can. Bun and Deno report a Node
 * compatibility version of their own and are not judged by it (they run plugins, not the host).
 */
export function unsupportedNode(versions: RuntimeVersions = process.versions, execPath: string = process.execPath): string | undefined {
  if (versions.bun !== undefined || versions.deno !== undefined || versions.node === undefined) return undefined;
  const major = Number.parseInt(versions.node, 10);
  if (major >= MIN_NODE_MAJOR) return undefined;
  return `clawdesk needs Node.js ${MIN_NODE_MAJOR} or newer, but this is Node.js ${versions.node} (${execPath}); install Node.js ${MIN_NODE_MAJOR} or 24 (LTS) and run it again`;
}

/** Thrown on import by every clawdesk package (and printed by the `clawdesk` CLI) on a Node that is too old. */
export class UnsupportedNodeError extends Error {
  readonly code = 'UNSUPPORTED_NODE' as const;
  readonly required = MIN_NODE_MAJOR;
  constructor(
    message: string,
    readonly nodeVersion: string,
  ) {
    super(message);
    this.name = 'UnsupportedNodeError';
  }
}

/** Throws `UnsupportedNodeError` when `unsupportedNode()` finds a reason. */
export function assertSupportedNode(versions: RuntimeVersions = process.versions, execPath: string = process.execPath): void {
  const problem = unsupportedNode(versions, execPath);
  if (problem !== undefined) throw new UnsupportedNodeError(problem, versions.node ?? 'unknown');
}
