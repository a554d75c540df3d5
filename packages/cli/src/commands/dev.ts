import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync, watch as watchFiles } from 'node:fs';
import path from 'node:path';
import { resultValue } from '@clawdesk/sandbox';
import { intFlag, jsonArgs, stringFlag, type Command } from '../command.js';
import { CliError, errorCode, errorJson, EXIT } from '../errors.js';
import { eventPrinter, printEachWarningOnce } from '../events.js';
import { withHost } from '../host.js';

// A plugin author's loop: build (when the plugin has a build step), load, re-run the saved call,
// then do it again on every change. Nothing a plugin does ends it — only Ctrl-C.

const DEFAULT_DEBOUNCE_MS = 100;
/** Lines of a failed build's output shown. */
const BUILD_TAIL_LINES = 20;

export const dev: Command = {
  name: 'dev',
  usage: 'dev [dir] [--call <tool> [json]]',
  summary:
    "develop one plugin: build it (its npm build script, if any), load it, re-run a saved call, and rebuild + reload on every change; errors are printed, never fatal (Ctrl-C to stop)",
  examples: [`clawdesk dev . --call greet '{"name":"Ada"}'`, 'clawdesk dev ./my-plugin --json   # one JSON event per line'],
  options: { call: { type: 'string' }, debounce: { type: 'string' } },
  help: [
    '--call <tool> [json] the call to run after every successful load (json: the next argument, default {})',
    `--debounce <ms>      quiet time after a change before rebuilding (default ${DEFAULT_DEBOUNCE_MS})`,
  ],
  async run({ args, flags, out, signal }) {
    const dir = path.resolve(args[0] ?? '.');
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError('DIR_NOT_FOUND', `${dir} is not a directory`);
    const tool = stringFlag(flags, 'call');
    const input = jsonArgs(args[1]);
    const debounceMs = intFlag(flags, 'debounce', 0) ?? DEFAULT_DEBOUNCE_MS;
    const { loadManifest } = await import('@clawdesk/manifest');

    const event = eventPrinter(out);
    const failure = (kind: string, error: unknown) => {
      const e = error as { file?: string; problems?: { path: string; message: string }[]; message?: string };
      const lines = e.problems?.length ? e.problems.map((p) => `  ${out.bold(p.path || '(root)')}: ${p.message}`) : [];
      event(kind, { error: errorJson(error) }, [out.bad(`✗ ${errorCode(error)}${e.file ? ` in ${e.file}` : ''}: ${e.message ?? String(error)}`), ...lines].join('\n'));
    };

    await withHost({ dirs: [path.dirname(dir)], dataDir: stringFlag(flags, 'data-dir') }, async ({ host }) => {
      printEachWarningOnce(host, event, out);
      host.on('crash', (c) => event('crash', { plugin: c.plugin, exit: c.exit }, out.bad(`${c.plugin} crashed (${c.exit.message ?? c.exit.reason})`)));

      let name: string | undefined;
      /** Where the build writes (the entry's top folder), ignored by the watcher so a build does not trigger one. */
      let output: string | undefined;

      const cycle = async (): Promise<void> => {
        const build = buildScript(dir);
        // Known before the build runs, so the files it writes are ignored from the first one on.
        output = build ? ((await loadManifest(dir).then((m) => topFolder(m.entry), () => undefined)) ?? output) : undefined;
        if (build) {
          event('building', { command: 'npm run build' }, `building: npm run build`);
          const built = await runBuild(dir, signal);
          if (signal.aborted) return;
          if (built.code !== 0) {
            event('build-failed', { exitCode: built.code, output: built.tail }, `${out.bad(`✗ build failed (exit code ${built.code})`)}\n${built.tail}`);
            return;
          }
        }
        try {
          const entry = name !== undefined && host.get(name)?.state === 'active' ? await host.reload(name) : await loadFresh(name);
          name = entry.name;
          event(
            'loaded',
            { plugin: entry.name, version: entry.manifest.version, tools: entry.tools.map((t) => t.name) },
            out.good(`✓ ${entry.name}@${entry.manifest.version} loaded: ${entry.tools.map((t) => t.name).join(', ') || 'no tools'}`),
          );
        } catch (error) {
          failure('load-failed', error);
          return;
        }
        if (tool === undefined) return;
        try {
          const result = await host.callTool(name, tool, input, { signal });
          const value = resultValue(result);
          const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
          event('result', { tool, isError: result.isError === true, value }, `${tool} → ${result.isError ? out.bad(`tool error: ${text}`) : text}`);
        } catch (error) {
          failure('call-failed', error);
        }
      };

      // A plugin whose first load failed may have left a failed entry: drop it, then load again.
      const loadFresh = async (previous: string | undefined) => {
        if (previous !== undefined && host.get(previous) !== undefined) await host.unload(previous);
        try {
          return await host.load(dir);
        } catch (error) {
          const failed = (error as { plugin?: unknown }).plugin;
          if (typeof failed === 'string') name = failed;
          throw error;
        }
      };

      // One cycle at a time; changes during a cycle queue exactly one more.
      let running: Promise<void> | undefined;
      let again = false;
      let timer: NodeJS.Timeout | undefined;
      const run = () => {
        if (running) {
          again = true;
          return;
        }
        running = cycle().finally(() => {
          running = undefined;
          if (again && !signal.aborted) {
            again = false;
            run();
          }
        });
      };

      run();
      const watcher = watchFiles(dir, { recursive: true }, (_kind, file) => {
        if (file === null || ignored(String(file), output)) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          event('changed', { file: String(file) }, out.dim(`changed: ${String(file)}`));
          run();
        }, debounceMs);
      });
      try {
        event('watching', { dir }, out.bold(`watching ${dir}, Ctrl-C to stop`));
        if (!signal.aborted) await once(signal, 'abort');
      } finally {
        clearTimeout(timer);
        watcher.close();
        await running;
      }
    });
    return EXIT.OK;
  },
};

/** The plugin's `build` script, when its package.json has one. */
function buildScript(dir: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, unknown> };
    const script = pkg.scripts?.['build'];
    return typeof script === 'string' && script.trim() !== '' ? script : undefined;
  } catch {
    return undefined;
  }
}

/** `dist` for `./dist/plugin.wasm`; undefined for an entry at the top (nothing to ignore). */
function topFolder(entry: string): string | undefined {
  const parts = path.posix.normalize(entry.replaceAll('\\', '/')).split('/');
  return parts.length > 1 ? parts[0] : undefined;
}

function ignored(file: string, output: string | undefined): boolean {
  const first = file.split(/[\\/]/)[0] ?? '';
  return first === 'node_modules' || first.startsWith('.') || (output !== undefined && first === output);
}

function runBuild(dir: string, signal: AbortSignal): Promise<{ code: number | null; tail: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'build', '--silent'], { cwd: dir, signal, env: { ...process.env, FORCE_COLOR: '0' } });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('error', (error) => resolve({ code: -1, tail: error.message }));
    child.on('close', (code) => resolve({ code, tail: text.trimEnd().split('\n').slice(-BUILD_TAIL_LINES).join('\n') }));
  });
}
