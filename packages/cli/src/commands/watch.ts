import { once } from 'node:events';
import { intFlag, stringFlag, type Command } from '../command.js';
import { EXIT } from '../errors.js';
import { eventPrinter, printEachWarningOnce } from '../events.js';
import { pluginsDir, withHost } from '../host.js';

export const watch: Command = {
  name: 'watch',
  usage: 'watch [dir]',
  summary: 'load every plugin in a directory and reload each live when its files change, logging loads, reloads and failures (Ctrl-C to stop)',
  examples: ['clawdesk watch ./plugins', 'clawdesk watch ./plugins --json   # one JSON event per line'],
  options: { debounce: { type: 'string' } },
  help: ['--debounce <ms>      quiet time after a change before the reload (default: the host\'s)'],
  async run({ args, flags, out, signal, defaultDir }) {
    const dir = pluginsDir(args[0] ?? stringFlag(flags, 'dir'), defaultDir);
    const debounceMs = intFlag(flags, 'debounce', 0);
    // --json: one JSON object per line (NDJSON), so a log consumer can follow it as it grows.
    const event = eventPrinter(out);
    await withHost({ dirs: [dir], dataDir: stringFlag(flags, 'data-dir'), configFile: stringFlag(flags, 'config') }, async ({ host }) => {
      host.on('state', (c) =>
        event(
          'state',
          { plugin: c.plugin, from: c.from, to: c.to, ...(c.error ? { message: c.error.message } : {}) },
          c.to === 'failed' ? out.bad(`${c.plugin}: ${c.from} → failed: ${c.error?.message ?? ''}`) : `${c.plugin}: ${c.from} → ${c.to}`,
        ),
      );
      host.on('reloaded', (r) => event('reloaded', { ...r }, out.good(`${r.plugin} reloaded (${r.from} → ${r.to})`)));
      host.on('reload-failed', (r) =>
        event('reload-failed', { plugin: r.plugin, message: r.error.message }, out.bad(`${r.plugin} reload failed, the old version keeps serving: ${r.error.message}`)),
      );
      host.on('crash', (c) =>
        event('crash', { plugin: c.plugin, crashes: c.crashes, restartInMs: c.restartInMs, exit: c.exit }, out.bad(`${c.plugin} crashed (${c.exit.message ?? c.exit.reason})${c.restartInMs === undefined ? '' : `, restarting in ${c.restartInMs} ms`}`)),
      );
      host.on('restart', (r) => event('restart', { ...r }, out.good(`${r.plugin} restarted (attempt ${r.attempt})`)));
      printEachWarningOnce(host, event, out);
      host.on('error', (e) => {
        // Already on the log as 'state' → failed, or as 'reload-failed'.
        if (e.operation === 'reload' || (e.operation === 'load' && e.plugin !== undefined)) return;
        event('error', { plugin: e.plugin, operation: e.operation, code: (e.error as { code?: string }).code, message: e.error.message }, out.bad(`${e.plugin ? `${e.plugin} ` : ''}${e.operation} failed: ${e.error.message}`));
      });
      const { problems } = await host.loadAll(dir);
      // Plugins that failed after their manifest parsed were already logged by their 'state' → failed event.
      for (const p of problems.filter((p) => p.plugin === undefined)) event('problem', { dir: p.dir, message: p.message }, out.bad(`✗ ${p.dir}: ${p.message}`));
      const watcher = await host.watch([dir], debounceMs === undefined ? {} : { debounceMs });
      try {
        event('watching', { dir, plugins: host.list().map((e) => e.name) }, out.bold(`watching ${dir} — ${host.list().length} plugin(s) loaded, Ctrl-C to stop`));
        if (!signal.aborted) await once(signal, 'abort');
      } finally {
        await watcher.close();
      }
    });
    // After the host closed: the plugins' shutdown is on the log above this line.
    event('stopped', {}, 'stopped');
    return EXIT.OK;
  },
};
