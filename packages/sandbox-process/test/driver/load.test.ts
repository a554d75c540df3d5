import path from 'node:path';
import { createTestContext } from '@clawdesk/sandbox/conformance';
import { createProcessDriver } from '../../src/driver.js';
import { echoManifest, eventually, FIXTURES_DIR, fixtureManifest, opts, RUNTIME_BINARIES, settle, start } from '../support/plugins.js';
import { processesMentioning } from '../support/processes.js';

const noneLeft = (fixture: string) => eventually(() => processesMentioning(path.join(FIXTURES_DIR, fixture)).length === 0);

describe('loading a process plugin', () => {
  test('a plugin that exits during start fails the load with its exit code and the last lines of its stderr', async () => {
    const outcome = await settle(start(fixtureManifest('crash-on-start')));
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: any }).error;
    expect(error.code).toBe('LOAD_FAILED');
    expect(error.message).toBe(
      'plugin "crash-on-start" failed to load: exited during start with exit code 2; last stderr:\n  starting crash-on-start\n  fatal: the database file is missing',
    );
    expect(error.data).toEqual({ exitCode: 2, signal: null, stderr: 'starting crash-on-start\nfatal: the database file is missing' });
    expect(error.plugin).toBe('crash-on-start');
    expect(error.driver).toBe('process');
  });

  test('an entry that exports a plugin but never calls serve() fails the load with an error that says so', async () => {
    const outcome = await settle(start(fixtureManifest('exports-only')));
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: any }).error;
    expect(error).toMatchObject({ code: 'LOAD_FAILED', plugin: 'exports-only', driver: 'process', data: { exitCode: 0, reason: 'no-server' } });
    expect(error.message).toBe(
      'plugin "exports-only" failed to load: its entry ./plugin.mjs exited (exit code 0) without answering initialize: a process plugin must serve stdio — with @clawdesk/plugin-sdk, call serve(plugin) in ./plugin.mjs; a module that only exports its plugin runs only with sandbox "native"',
    );
  });

  test.each(['bun', 'deno'] as const)('the same entry under %s fails the same way, naming serve()', async (runtime) => {
    const outcome = await settle(start(fixtureManifest('exports-only', { runtime })));
    const error = (outcome as { error: any }).error;
    expect(error).toMatchObject({ code: 'LOAD_FAILED', data: { exitCode: 0, reason: 'no-server' } });
    expect(error.message).toContain('exited (exit code 0) without answering initialize: a process plugin must serve stdio');
  });

  test('an entry that exits 0 after printing to stderr keeps those lines in the error, so its own reason shows too', async () => {
    const outcome = await settle(start(fixtureManifest('exits-clean-with-reason')));
    const error = (outcome as { error: any }).error;
    expect(error).toMatchObject({ code: 'LOAD_FAILED', data: { exitCode: 0, reason: 'no-server', stderr: 'no config given, nothing to serve' } });
    expect(error.message).toMatch(/runs only with sandbox "native"; last stderr:\n {2}no config given, nothing to serve$/);
  });

  test('a handshake that does not finish within startTimeoutMs fails the load with a clear LoadFailedError and leaves no process', async () => {
    const began = performance.now();
    const outcome = await settle(start(fixtureManifest('slow-start'), { driver: { startTimeoutMs: 300 } }));
    // Well before the plugin would have been ready (2.5 s): the driver gave up at the deadline.
    expect(performance.now() - began).toBeLessThan(2_000);
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: any }).error;
    expect(error.code).toBe('LOAD_FAILED');
    expect(error.message).toBe(
      'plugin "slow-start" failed to load: did not finish the handshake (initialize, tools/list) within 300 ms; raise startTimeoutMs (in its manifest, createHost or createProcessDriver options) if it starts slowly',
    );
    expect(error.data).toEqual({ startTimeoutMs: 300 });
    expect(await noneLeft('slow-start')).toBe(true);
  });

  test('the same slow plugin loads with the default start timeout', async () => {
    const { instance, close } = await start(fixtureManifest('slow-start'));
    try {
      const result = await instance.callTool('ready', {}, opts());
      expect(result.structuredContent).toEqual({ ready: true });
    } finally {
      await close();
    }
  });

  test('aborting instantiate() through its signal rejects with CANCELLED and stops the process', async () => {
    const manifest = fixtureManifest('slow-start');
    const ctx = createTestContext(manifest);
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('host shutting down')), 200);
      const outcome = await settle(createProcessDriver().instantiate(manifest, ctx, { signal: controller.signal }));
      expect(outcome.ok).toBe(false);
      expect((outcome as { error: any }).error).toMatchObject({ code: 'CANCELLED', message: 'plugin "slow-start" was cancelled' });
      expect(await noneLeft('slow-start')).toBe(true);
    } finally {
      ctx.cleanup();
    }
  });

  test('a runtime that is not installed fails with RuntimeMissingError naming it and how to install it', async () => {
    for (const configured of ['/nonexistent/bin/bun', 'bun-is-not-on-path-here']) {
      const outcome = await settle(start(await echoManifest('bun'), { driver: { runtimes: { bun: configured } } }));
      expect(outcome.ok).toBe(false);
      const error = (outcome as { error: any }).error;
      expect(error.code).toBe('RUNTIME_MISSING');
      expect(error.message).toBe(
        'runtime "bun" is not installed (needed by plugin "process-echo"): install Bun (`npm install --save-dev bun` puts it in node_modules/.bin, or see https://bun.sh) or pass createProcessDriver({ runtimes: { bun: "/path/to/bun" } })',
      );
      expect(error.data).toMatchObject({ runtime: 'bun', configured });
    }
  });

  test('a tool the manifest declares but tools/list does not offer fails the load, naming it', async () => {
    const base = await echoManifest();
    const manifest = { ...base, tools: [...base.tools, { name: 'translate', description: 'Not implemented' }] };
    const outcome = await settle(start(manifest));
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: any }).error;
    expect(error.code).toBe('LOAD_FAILED');
    expect(error.message).toBe(
      'plugin "process-echo" failed to load: the manifest declares tool "translate" but "tools/list" does not offer it (offered: echo, sleep, spin, crash)',
    );
    expect(error.data).toEqual({ missing: ['translate'], offered: ['echo', 'sleep', 'spin', 'crash'] });
  });

  test('a manifest without tools takes them, with their schemas, from tools/list', async () => {
    const { instance, close } = await start(await echoManifest('node', { tools: [] }));
    try {
      const { tools, hooks } = await instance.describe();
      expect(tools.map((t) => t.name)).toEqual(['echo', 'sleep', 'spin', 'crash']);
      expect(tools.find((t) => t.name === 'sleep')).toEqual({
        name: 'sleep',
        description: 'Resolves after {ms} milliseconds with {slept: ms}',
        inputSchema: { type: 'object', properties: { ms: { type: 'number' } }, required: ['ms'] },
      });
      expect(hooks).toEqual(['on_test']);
    } finally {
      await close();
    }
  });

  test('a manifest with tools exposes exactly those, with the plugin schema where the manifest has none', async () => {
    const base = await echoManifest();
    const { instance, close } = await start({ ...base, tools: base.tools.filter((t) => t.name === 'sleep') });
    try {
      expect((await instance.describe()).tools).toEqual([
        {
          name: 'sleep',
          description: 'Resolves after {ms} milliseconds with {slept: ms}',
          inputSchema: { type: 'object', properties: { ms: { type: 'number' } }, required: ['ms'] },
        },
      ]);
      const outcome = await settle(instance.callTool('echo', {}, opts()));
      expect((outcome as { error: any }).error).toMatchObject({ code: 'TOOL_NOT_FOUND', message: 'plugin "process-echo" has no tool "echo" (available: sleep)' });
    } finally {
      await close();
    }
  });

  test('without the OS sandbox, what a runtime cannot enforce is logged as a warning at load, never silently claimed', async () => {
    const node = await start(await echoManifest('node'), { driver: { isolation: 'off' } });
    const bun = await start(await echoManifest('bun'), { driver: { runtimes: RUNTIME_BINARIES, isolation: 'off' } });
    try {
      const warning = (entries: typeof node.ctx.logger.entries) => entries.filter((e) => e.level === 'warn' && e.message.includes('does not fully enforce'));
      expect(warning(node.ctx.logger.entries)).toEqual([
        {
          level: 'warn',
          message: "the node process sandbox does not fully enforce this plugin's permissions",
          fields: {
            runtime: 'node',
            notEnforced: ['network'],
            partial: ['memory'],
            why: {
              network: 'Node has no network permission: fetch and sockets are not blocked',
              memory: 'the heap limit covers the JavaScript heap only, not Buffers or native memory',
            },
          },
        },
      ]);
      expect(warning(bun.ctx.logger.entries)[0]?.fields).toMatchObject({
        runtime: 'bun',
        notEnforced: ['network', 'fsRead', 'fsWrite', 'memory'],
        partial: ['env'],
      });
    } finally {
      await Promise.all([node.close(), bun.close()]);
    }
  });

  test('a manifest for another sandbox is refused before anything starts', async () => {
    const base = await echoManifest();
    const outcome = await settle(start({ ...base, sandbox: 'native' }));
    expect((outcome as { error: any }).error).toMatchObject({
      code: 'LOAD_FAILED',
      message:
        'plugin "process-echo" failed to load: @clawdesk/sandbox-process runs sandbox "process" with runtime node, bun or deno; this plugin has sandbox "native", runtime "node"',
    });
  });
});
