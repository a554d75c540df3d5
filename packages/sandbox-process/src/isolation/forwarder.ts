import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LoadFailedError, type SandboxErrorOptions } from '@clawdesk/sandbox';
import type { ProcessRuntime } from '../options.js';
import { PIPE_BOTH_WAYS_SOURCE } from './pipe-both-ways.js';
import { createStartDir } from './start-dirs.js';

/**
 * The plugin's door to the egress proxy, for one process start. The host's proxy listens on a unix
 * socket; a forwarder preloaded into the plugin's runtime listens on 127.0.0.1:`port` inside the
 * plugin's network namespace and relays each connection to that socket, byte for byte. The proxy
 * decides everything, so a plugin that closes, replaces or bypasses the forwarder (connecting to
 * the socket itself) reaches exactly what the proxy admits and nothing more.
 *
 * Files: `<tmp>/clawdesk-egress-<host pid>-XXXXXX/<32 hex>/{egress.sock, forward.mjs}`. The outer dir is made
 * unlistable (mode 0311) once the inner one exists, so the random inner name is a secret: a process
 * that can see the host's tmp dir (another plugin with a broad grant) cannot find or guess the socket.
 * Only the inner dir is mounted, read-only, into the plugin's sandbox.
 */
export interface EgressDoor {
  /** Mounted read-only into the sandbox at the same path. */
  dir: string;
  /** Where the host's proxy listens. */
  socket: string;
  /** The forwarder module the runtime preloads (node `--import`, bun and deno `--preload`). */
  preload: string;
  /** Removes both dirs (the socket's server must be closed first or be closing). */
  remove(): void;
}

/** Where the plugin's HTTP clients are pointed: the standard variables, with nothing exempt. */
export function proxyEnv(port: number): Record<string, string> {
  const url = `http://127.0.0.1:${port}`;
  return { HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url, NODE_USE_ENV_PROXY: '1', NO_PROXY: '', no_proxy: '' };
}

/**
 * Node loads its whole fetch stack at startup when it sees `NODE_USE_ENV_PROXY` with a proxy
 * variable set (tens of ms before the plugin's first line). When the runtime is this very node and
 * it has `http.setGlobalProxyFromEnv`, the proxy variables are set by the preload instead: node's
 * http and https agents read them when first loaded, and fetch (and everything else on undici's
 * global dispatcher) gets the proxy dispatcher on its first request.
 */
export function lazyNodeProxy(runtime: ProcessRuntime, binary: string): boolean {
  const http = process.getBuiltinModule?.('node:http') as { setGlobalProxyFromEnv?: unknown } | undefined;
  return runtime === 'node' && binary === process.execPath && typeof http?.setGlobalProxyFromEnv === 'function';
}

/** What the launch's environment gets, and what the preload sets itself (see `lazyNodeProxy`). */
export function splitProxyEnv(port: number, lazy: boolean): { launch: Record<string, string>; preload: Record<string, string> } {
  const all = proxyEnv(port);
  if (!lazy) return { launch: all, preload: {} };
  const { HTTP_PROXY, HTTPS_PROXY, http_proxy, https_proxy, ...rest } = all;
  return { launch: rest, preload: { HTTP_PROXY: HTTP_PROXY!, HTTPS_PROXY: HTTPS_PROXY!, http_proxy: http_proxy!, https_proxy: https_proxy! } };
}

// Reading `globalThis.fetch` (even its descriptor) loads node's fetch stack, so the hook is undici's
// global dispatcher slot instead: a stand-in there makes undici keep it, and the first request
// through it installs node's own proxy dispatcher (which replaces the stand-in) and goes on through that.
const LAZY_NODE_PROXY = `
// node: the proxy variables now (http and https read them when first loaded), fetch's dispatcher on first use.
Object.assign(process.env, preloadEnv);
const slot = Symbol.for('undici.globalDispatcher.1');
if (globalThis[slot] === undefined) {
  const real = () => {
    if (globalThis[slot] === standIn) process.getBuiltinModule('node:http').setGlobalProxyFromEnv();
    return globalThis[slot];
  };
  const standIn = new Proxy({}, {
    get(_, key) {
      const dispatcher = real();
      const value = dispatcher[key];
      return typeof value === 'function' ? value.bind(dispatcher) : value;
    },
  });
  Object.defineProperty(globalThis, slot, { value: standIn, writable: true, enumerable: false, configurable: true });
}
`;

/**
 * The forwarder, an ES module every runtime can preload (node:net only), listening before the
 * plugin's own code runs. Without a host the bind happens inside listen() itself (no lookup); in a
 * namespace whose only interface is `lo` that is loopback all the same. Deno's model names the
 * address it may listen on, so deno gets 127.0.0.1.
 */
export function forwarderSource(socket: string, port: number, options: { preloadEnv?: Record<string, string>; host?: string } = {}): string {
  const preloadEnv = options.preloadEnv ?? {};
  const lazy = Object.keys(preloadEnv).length > 0;
  const listen = options.host === undefined ? `{ port: ${port}, exclusive: true }` : `{ host: ${JSON.stringify(options.host)}, port: ${port}, exclusive: true }`;
  return `// clawdesk egress forwarder: port ${port} in this network namespace -> the host's egress proxy.
import net from 'node:net';${lazy ? `\nconst preloadEnv = ${JSON.stringify(preloadEnv)};${LAZY_NODE_PROXY}` : ''}
const socket = ${JSON.stringify(socket)};
${PIPE_BOTH_WAYS_SOURCE}
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  const upstream = net.connect({ path: socket, allowHalfOpen: true });
  for (const s of [client, upstream]) { s.on('error', () => {}); s.unref?.(); }
  pipeBothWays(client, upstream);
});
server.on('error', () => {});
server.listen(${listen});
// The forwarder never keeps the plugin's process alive on its own.
server.unref?.();
`;
}

/** Creates the door's files; the caller listens on `socket`. */
export function createEgressDoor(port: number, runtime: ProcessRuntime, preloadEnv: Record<string, string>, where: SandboxErrorOptions, base = tmpdir()): EgressDoor {
  const { dir, remove } = createStartDir('egress', base);
  try {
    const socket = path.join(dir, 'egress.sock');
    const preload = path.join(dir, 'forward.mjs');
    // Deno takes its grants as comma-separated lists; the kernel takes at most 107 bytes for a socket path.
    if (dir.includes(',') || Buffer.byteLength(socket) > 107) {
      throw new LoadFailedError(`the egress proxy's socket path ${JSON.stringify(socket)} is unusable (contains a comma or is longer than 107 bytes): set TMPDIR to a short path`, where);
    }
    writeFileSync(preload, forwarderSource(socket, port, { preloadEnv, ...(runtime === 'deno' ? { host: '127.0.0.1' } : {}) }), { mode: 0o400 });
    return { dir, socket, preload, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * The runtime's arguments with the forwarder preloaded and, for runtimes with a permission model,
 * just what it needs granted: reading the module (node), listening on the port and connecting to
 * the socket (deno). Everything is inserted before the entry, so the plugin's own argv is untouched.
 */
export function withForwarder(runtime: ProcessRuntime, args: string[], door: EgressDoor, port: number): string[] {
  switch (runtime) {
    case 'node':
      return [`--allow-fs-read=${door.dir}`, `--import=${pathToFileURL(door.preload).href}`, ...args];
    case 'bun':
      return [`--preload=${door.preload}`, ...args];
    case 'deno': {
      const [run, ...rest] = args;
      return [
        run!,
        `--allow-net=127.0.0.1:${port},unix:${door.socket}`,
        `--allow-read=${door.socket}`,
        `--allow-write=${door.socket}`,
        `--preload=${pathToFileURL(door.preload).href}`,
        ...rest,
      ];
    }
  }
}
