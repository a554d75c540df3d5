import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { PluginHost } from '@clawdesk/host';
import { resultValue } from '@clawdesk/sandbox';
import { CliError, EXIT, withHost, type Command, type Output } from '@clawdesk/cli';

/** How long the tour waits for the watcher to pick up an edit before calling it a failure. */
const RELOAD_WAIT_MS = 10_000;
/** The runaway call's limit in the tour (the plugin's own timeoutMs is 2 s). */
const HOSTILE_TIMEOUT_MS = 500;

/** A tiny native plugin the tour writes, edits and watches reload. */
const greeter = (greeting: string, version: string) => ({
  manifest: `{ name: 'greeter', version: '${version}', description: 'Greets someone', author: 'clawdesk demo', sandbox: 'native', runtime: 'node', entry: './index.js',\n  tools: [{ name: 'greet', description: 'Greets someone', inputSchema: { type: 'object', properties: { who: { type: 'string' } } } }] }\n`,
  code: `export default { tools: { greet: { description: 'Greets someone', run: ({ who = 'world' }) => ${JSON.stringify(greeting)} + ', ' + who + '!' } } };\n`,
});

export const demo: Command = {
  name: 'demo',
  usage: 'demo',
  summary: 'a scripted tour of the bundled examples (no network): wasm, process and native plugins, a live reload, a hostile plugin contained',
  examples: ['clawdesk demo', 'clawdesk demo --json   # only the summary'],
  async run({ out, signal, defaultDir }) {
    if (!defaultDir) throw new CliError('NO_EXAMPLES', 'the demo needs the bundled example plugins');
    const examples = defaultDir;
    const work = await mkdtemp(path.join(os.tmpdir(), 'clawdesk-demo-'));
    const tourStarted = performance.now();
    const step = (n: number, title: string) => out.line(`\n${out.bold(`${n}. ${title}`)}`);
    const show = (label: string, value: unknown, ms?: number) =>
      out.line(`   ${label} ${out.dim('→')} ${typeof value === 'string' ? value : JSON.stringify(value)}${ms === undefined ? '' : out.dim(`  (${fmtMs(ms)})`)}`);
    const summary: Record<string, unknown> = {};
    try {
      return await withHost({ dirs: [examples], dataDir: path.join(work, 'data') }, async ({ host }) => {
        step(1, 'Loading one plugin per sandbox');
        for (const name of ['weather-wasm', 'process-echo', 'native-echo']) {
          const [entry, ms] = await timed(() => host.load(path.join(examples, name)));
          const { driver, enforcement } = host.inspect(entry.name);
          const levels = Object.values(enforcement);
          const enforced = levels.filter((v) => v === 'enforced').length;
          show(
            `${out.bold(entry.name)} ${out.dim(`(${entry.manifest.sandbox} via ${driver})`)}`,
            `${entry.state}; tools: ${entry.tools.map((t) => t.name).join(', ')}; permissions enforced: ${enforced}/${levels.length}`,
            ms,
          );
        }
        signal.throwIfAborted();

        step(2, 'Calling a tool in each sandbox');
        const calls: [string, string, unknown][] = [
          ['weather-wasm', 'forecast', { city: 'Oslo', days: 2 }],
          ['process-echo', 'echo', { hello: 'from a child process', emoji: '🦀' }],
          ['native-echo', 'echo', { hello: 'in-process' }],
        ];
        for (const [plugin, tool, args] of calls) {
          const [result, ms] = await timed(() => host.callTool(plugin, tool, args, { signal }));
          const value = resultValue(result);
          show(`${plugin}.${tool}(${JSON.stringify(args)})`, value, ms);
          summary[`${plugin}.${tool}`] = value;
        }

        step(3, 'Live reload: editing a plugin while the host runs');
        summary.reload = await liveReload(host, path.join(work, 'plugins'), out, show);
        signal.throwIfAborted();

        step(4, `A hostile plugin is contained: an infinite loop in wasm, with a ${HOSTILE_TIMEOUT_MS} ms timeout`);
        summary.hostile = await hostile(host, examples, out, show);

        const elapsedMs = Math.round(performance.now() - tourStarted);
        out.result({ ok: true, ...summary, elapsedMs });
        out.line(`\n${out.good('✓')} tour finished in ${fmtMs(elapsedMs)}: ${host.list().length} plugins in three sandboxes, one live reload, one runaway contained.`);
        return EXIT.OK;
      });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};

type Show = (label: string, value: unknown, ms?: number) => void;

/** Writes a native plugin, watches its directory, edits it and shows the new code answering. */
async function liveReload(host: PluginHost, pluginsDir: string, out: Output, show: Show): Promise<unknown> {
  const dir = path.join(pluginsDir, 'greeter');
  await writeGreeter(dir, greeter('Hello', '1.0.0'));
  await host.load(dir);
  const watcher = await host.watch([pluginsDir], { debounceMs: 100 });
  try {
    show('greeter.greet({"who":"Ada"}) v1.0.0', resultValue(await host.callTool('greeter', 'greet', { who: 'Ada' })));
    out.line(out.dim(`   editing ${path.join(dir, 'index.js')}: "Hello" → "Bonjour", version 1.1.0`));
    const editedAt = performance.now();
    const reloaded = nextReload(host, 'greeter');
    const event = await writeGreeter(dir, greeter('Bonjour', '1.1.0'))
      .then(() => reloaded.promise)
      .finally(() => reloaded.cancel());
    show(out.good('the watcher reloaded greeter'), `${event.from} → ${event.to}, swapped in while the host kept serving`, performance.now() - editedAt);
    const after = resultValue(await host.callTool('greeter', 'greet', { who: 'Ada' }));
    show(`greeter.greet({"who":"Ada"}) v${event.to}`, after);
    return after;
  } finally {
    await watcher.close();
  }
}

/** Runs a wasm infinite loop into its timeout while the other sandboxes keep answering, then shows it recovered. */
async function hostile(host: PluginHost, examples: string, out: Output, show: Show): Promise<Record<string, unknown>> {
  await host.load(path.join(examples, 'wasm-hostile'));
  let answered = 0;
  let keepGoing = true;
  const others = (async () => {
    while (keepGoing) {
      await host.callTool('process-echo', 'echo', { n: answered });
      await host.callTool('native-echo', 'echo', { n: answered });
      await host.callTool('weather-wasm', 'forecast', { city: 'Lima', days: 1 });
      answered += 3;
      await delay(5);
    }
  })();
  const started = performance.now();
  const error = await host.callTool('wasm-hostile', 'spin', {}, { timeoutMs: HOSTILE_TIMEOUT_MS }).then(
    () => undefined,
    (e: Error & { code?: string }) => e,
  );
  const elapsedMs = Math.round(performance.now() - started);
  keepGoing = false;
  await others;
  show('wasm-hostile.spin()', out.warn(`${error?.code ?? 'no error?!'}: ${error?.message ?? 'it returned'}`), elapsedMs);
  show('meanwhile process-echo, native-echo and weather-wasm answered', `${answered} calls`);
  if (error?.code !== 'TIMEOUT') throw new CliError('DEMO_FAILED', `the runaway plugin was not timed out (got ${error?.code ?? 'a result'})`);
  // The timed-out sandbox was killed and replaced: the plugin serves again, still without the host's environment.
  const [again, ms] = await timed(() => host.callTool('wasm-hostile', 'env_count', {}));
  show('wasm-hostile.env_count() after its restart', resultValue(again), ms);
  return { code: error.code, elapsedMs, othersAnswered: answered, afterRestart: resultValue(again) };
}

/** Resolves on `plugin`'s next 'reloaded' event; rejects on its 'reload-failed' or after RELOAD_WAIT_MS. */
function nextReload(host: PluginHost, plugin: string): { promise: Promise<{ from: string; to: string }>; cancel(): void } {
  let cancel = () => {};
  const promise = new Promise<{ from: string; to: string }>((resolve, reject) => {
    const onReloaded = (e: { plugin: string; from: string; to: string }) => e.plugin === plugin && resolve(e);
    const onFailed = (e: { plugin: string; error: Error }) =>
      e.plugin === plugin && reject(new CliError('DEMO_FAILED', `the edited plugin failed to reload: ${e.error.message}`));
    const timer = setTimeout(() => reject(new CliError('DEMO_FAILED', `the edited plugin did not reload within ${RELOAD_WAIT_MS / 1000} s`)), RELOAD_WAIT_MS);
    host.on('reloaded', onReloaded);
    host.on('reload-failed', onFailed);
    cancel = () => {
      clearTimeout(timer);
      host.off('reloaded', onReloaded);
      host.off('reload-failed', onFailed);
    };
  });
  return { promise, cancel };
}

async function writeGreeter(dir: string, files: { manifest: string; code: string }): Promise<void> {
  await mkdir(dir, { recursive: true });
  // "type": "module" makes index.js ESM for Node, so the native driver re-imports it on reload.
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  // Code first, manifest last: both land within one debounce window, so the watcher reloads once.
  await writeFile(path.join(dir, 'index.js'), files.code);
  await writeFile(path.join(dir, 'plugin.json5'), files.manifest);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
