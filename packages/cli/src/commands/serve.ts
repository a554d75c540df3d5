import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PluginHost } from '@clawdesk/host';
import { loadManifest, ManifestError } from '@clawdesk/manifest';
import { intFlag, stringFlag, type Command } from '../command.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { openHost, pluginsDir } from '../host.js';
import type { Output } from '../output.js';

/** The bearer token for a non-loopback `--host`: read from the environment, never argv (argv shows in `ps`). */
export const TOKEN_ENV = 'CLAWDESK_MCP_TOKEN';

export const serve: Command = {
  name: 'serve',
  usage: 'serve [dirs…]',
  summary:
    'serve the tools of plugins as one MCP server, over stdio (default) or Streamable HTTP; each dir is a plugin or a directory of plugins',
  examples: [
    'clawdesk serve ./plugins                       # stdio: an MCP client starts this command',
    'clawdesk serve ./plugins --http 8765 --watch   # http://127.0.0.1:8765/mcp, reloads on change',
    'clawdesk serve ./plugins/weather-wasm ./plugins/process-echo',
  ],
  options: { http: { type: 'string' }, host: { type: 'string' }, watch: { type: 'boolean' } },
  help: [
    '--http <port>        Streamable HTTP on this port instead of stdio (0 picks a free one);',
    '                     prints "listening on <url>" on stderr once ready',
    '--host <addr>        address to bind with --http (default 127.0.0.1); any other needs',
    `                     ${TOKEN_ENV} (clients send Authorization: Bearer <token>)`,
    '--watch              reload plugins when their files change, in the directories of plugins',
    '                     given (a plugin dir given on its own is not watched); clients get',
    '                     tools/list_changed',
  ],
  async run({ args, flags, out, signal, defaultDir }) {
    const port = intFlag(flags, 'http', 0);
    const bind = stringFlag(flags, 'host');
    if (bind !== undefined && port === undefined) throw new UsageError('--host needs --http <port>');
    const token = process.env[TOKEN_ENV] || undefined;
    const given = args.length ? args : [pluginsDir(stringFlag(flags, 'dir'), defaultDir)];
    const targets = await Promise.all(given.map(classify));
    const watched = targets.filter((t) => t.kind === 'plugins').map((t) => t.dir);
    if (flags.watch) {
      // The host's watcher follows directories of plugins; a plugin given on its own is served as loaded.
      for (const t of targets.filter((x) => x.kind === 'plugin')) out.note(`not watched (a plugin, not a directory of plugins): ${t.dir}`);
      if (watched.length === 0) throw new UsageError(`--watch follows directories of plugins, and every dir given is a plugin: pass the directory holding one (${path.dirname(targets[0]!.dir)})`);
    }
    // Imported here: the other commands start without the MCP SDK.
    const { serveMcp } = await import('@clawdesk/mcp');
    const { host, dispose } = await openHost({ dirs: watched, dataDir: stringFlag(flags, 'data-dir'), configFile: stringFlag(flags, 'config') });
    // stdout may carry the protocol: everything for people goes to stderr.
    reportTo(host, out);
    try {
      for (const t of targets) await loadTarget(host, t, out);
      const watcher = flags.watch ? await host.watch(watched) : undefined;
      try {
        const serving = await serveMcp(host, {
          transport: port === undefined ? 'stdio' : { http: { port, ...(bind ? { host: bind } : {}), ...(token ? { token } : {}) } },
          signal,
          logger: stderrLogger(out),
        });
        if (serving.url) out.note(`listening on ${serving.url}`);
        await serving.closed;
      } finally {
        await watcher?.close();
      }
    } finally {
      await dispose();
    }
    return EXIT.OK;
  },
};

interface Target {
  /** `plugin`: a directory with a manifest; `plugins`: a directory of plugin directories. */
  kind: 'plugin' | 'plugins';
  dir: string;
}

async function classify(arg: string): Promise<Target> {
  const dir = path.resolve(arg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError('DIR_NOT_FOUND', `${dir} is not a directory`);
  return { kind: (await hasManifest(dir)) ? 'plugin' : 'plugins', dir };
}

async function hasManifest(dir: string): Promise<boolean> {
  try {
    await loadManifest(dir);
    return true;
  } catch (error) {
    // A broken manifest is still a plugin dir: loading it reports what is wrong.
    return !(error instanceof ManifestError && error.code === 'MANIFEST_NOT_FOUND');
  }
}

async function loadTarget(host: PluginHost, t: Target, out: Output): Promise<void> {
  if (t.kind === 'plugins') {
    const { problems } = await host.loadAll(t.dir);
    // Plugins that failed after their manifest parsed are on stderr already (their 'state' → failed).
    for (const p of problems.filter((p) => p.plugin === undefined)) out.note(`✗ ${p.dir}: ${p.message}`);
    return;
  }
  await host.load(t.dir).catch(() => {}); // reported by its 'state' → failed event
}

function reportTo(host: PluginHost, out: Output): void {
  const warned = new Set<string>();
  host.on('state', (c) => {
    if (c.to === 'failed') out.note(`✗ ${c.plugin}: ${c.error?.message ?? 'failed'}`);
  });
  host.on('reloaded', (r) => out.note(`${r.plugin} reloaded (${r.from} → ${r.to})`));
  host.on('reload-failed', (r) => out.note(`${r.plugin} reload failed, the old version keeps serving: ${r.error.message}`));
  host.on('log', (l) => {
    const key = `${l.plugin ?? ''}\0${l.message}`;
    if (l.level !== 'warn' || warned.has(key)) return;
    warned.add(key);
    out.note(`warning: ${l.plugin ? `${l.plugin}: ` : ''}${l.message}`);
  });
}

function stderrLogger(out: Output) {
  const line = (level: string) => (message: string) => out.note(`${level}: ${message}`);
  return { debug() {}, info() {}, warn: line('warning'), error: line('error') };
}
