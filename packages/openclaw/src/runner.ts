/**
 * The child side of @clawdesk/openclaw: a process plugin that loads one OpenClaw plugin, calls its
 * `register(api)`, and serves what it registered with plugin-sdk's `serve()`. The driver starts
 * it under the process sandbox's permissions; its `initialize` config is a `RunnerConfig`.
 */
import process from 'node:process';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { serve } from '@clawdesk/plugin-sdk/serve';
import { UNSUPPORTED_LOG_FIELD } from './protocol.js';
import { readRunnerStart } from './child/config.js';
import { awaitInitialize } from './child/init.js';
import { loadPlugin, PluginLoadError } from './child/plugin.js';
import { installShim } from './child/shim-hook.js';
import { createWire } from './child/wire.js';

/** Part of the host's kill grace (2 s by default) given to services' `stop()`. */
const STOP_BUDGET_MS = 1_500;

async function main(): Promise<void> {
  // stdout carries the protocol: whatever the plugin prints goes to stderr (the host logs it).
  const toStderr = (...args: unknown[]) => console.error(...args);
  for (const name of ['log', 'info', 'debug', 'dir', 'dirxml', 'table'] as const) console[name] = toStderr;

  const protocol = takeStdout();
  const wire = createWire((line) => protocol.write(line));
  const shim = installShim(fileURLToPath(new URL('./shim/', import.meta.url)));
  // OpenClaw's gateway logs a plugin's stray rejections instead of dying; so do we.
  process.on('unhandledRejection', (reason) => wire.log('error', `unhandled rejection: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}`));

  const init = await awaitInitialize(process.stdin);
  if (!init) return process.exit(0);
  const start = readRunnerStart(init.params);
  if (typeof start === 'string') {
    wire.fail(init.id, start, { reason: 'bad-config' });
    return waitForHostToLeave();
  }
  const { config, dataDir } = start;
  // Relative paths in OpenClaw plugins (e.g. a default "workspace/checkpoints") land in the data dir.
  if (dataDir) process.chdir(dataDir);

  const env = { config, dataDir, log: wire.log };
  let loaded;
  try {
    loaded = await loadPlugin(config, env, shim);
  } catch (error) {
    const failure = error instanceof PluginLoadError ? error.failure : ({ reason: 'entry-failed' } as const);
    wire.fail(init.id, error instanceof Error ? error.message : String(error), failure);
    return waitForHostToLeave();
  }
  if (loaded.unsupported.length > 0) {
    wire.log('warn', `OpenClaw registrations this host does not support (ignored): ${loaded.unsupported.map((u) => `${u.kind} ${u.name}`).join(', ')}`, {
      [UNSUPPORTED_LOG_FIELD]: loaded.unsupported,
    });
  }
  await loaded.services.startAll();

  const input = new PassThrough();
  const handle = serve(loaded.module, { input, output: protocol, exitOnEnd: false, redirectConsole: true });
  input.write(init.buffered);
  process.stdin.pipe(input);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    handle.close();
    await loaded.services.stopAll(STOP_BUDGET_MS);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  void handle.closed.then(shutdown);
}

/**
 * Keeps stdout for the protocol: `process.stdout.write` from the plugin or its libraries (a progress
 * bar, a banner without a newline) goes to stderr instead, where it cannot corrupt a message.
 */
function takeStdout(): Writable {
  const stdout = process.stdout;
  const write = stdout.write.bind(stdout) as (chunk: unknown, callback: (error?: Error | null) => void) => boolean;
  stdout.write = process.stderr.write.bind(process.stderr) as typeof stdout.write;
  const protocol = new Writable({
    write(chunk, _encoding, callback) {
      write(chunk, callback);
    },
  });
  // A closed stdout means the host is gone; stdin's end stops us.
  protocol.on('error', () => undefined);
  return protocol;
}

/** After a failed load the host kills us; a host that only closes stdin gets a clean exit. */
function waitForHostToLeave(): void {
  process.stdin.once('end', () => process.exit(0));
  process.stdin.resume();
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
