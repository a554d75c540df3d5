import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PluginModule, SandboxDriver } from '@clawdesk/sandbox';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { createWasmDriver } from '@clawdesk/sandbox-wasm';
import { createNativeDriver, type PluginHost } from '../src/index.js';
import { rejection, sleep, tempDir, type TestHost, until, withHost, writeTree } from './helpers.js';

// Jest keeps one module registry per test file, so the in-jest native driver cannot re-import a
// changed file at the same path: each native version here lives in its own entry file, switched by
// the manifest. Re-importing changed code in place is covered by test/native/reload.test.ts (a
// real Node process); the process and wasm plugins below reload real code.

const manifestText = (name: string, version: string, entry = './v1.mjs') =>
  `{ name: '${name}', version: '${version}', description: 'watched', author: 'tests', sandbox: 'native', entry: '${entry}' }`;

/** A native plugin answering `version` with `answer`, and `slow` with `answer` after `ms`. */
const code = (answer: string) => `
export default {
  tools: {
    version: { description: 'which version answers', run: () => ${JSON.stringify(answer)} },
    slow: {
      description: 'answers after ms',
      run: ({ ms }, ctx) => new Promise((resolve) => {
        const timer = setTimeout(() => resolve(${JSON.stringify(answer)}), ms);
        ctx.signal.addEventListener('abort', () => clearTimeout(timer));
      }),
    },
  },
};`;

/** A plugins dir holding `svc` v1 (native, entry v1.mjs). */
const pluginsDir = () =>
  writeTree({
    'svc/plugin.json5': manifestText('svc', '1.0.0'),
    'svc/v1.mjs': code('v1'),
    'svc/v2.mjs': code('v2'),
  });

/** Records the host's reload outcomes. */
function recorder(host: PluginHost) {
  const reloaded: { plugin: string; from: string; to: string }[] = [];
  const failed: { plugin: string; error: Error & { code?: string } }[] = [];
  host.on('reloaded', (e) => reloaded.push(e));
  host.on('reload-failed', (e) => failed.push(e));
  return { reloaded, failed };
}

/** A native host over a fresh plugins dir in which `svc` v1 is loaded; everything removed afterwards. */
async function withSvc(fn: (t: TestHost & { root: string }) => Promise<void>, opts: { dataDir?: (root: string) => string } = {}): Promise<void> {
  const root = pluginsDir();
  try {
    await withHost({ drivers: [createNativeDriver()], ...(opts.dataDir ? { dataDir: opts.dataDir(root) } : {}) }, async (t) => {
      await t.host.load(path.join(root, 'svc'));
      await fn({ ...t, root });
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const answer = async (host: PluginHost, tool = 'version', args: unknown = {}) => (await host.callTool('svc', tool, args)).structuredContent;

describe('host.watch', () => {
  test('a burst of 100 writes, half of them editor-style atomic saves, reloads the plugin exactly once', async () => {
    await withSvc(async ({ host, root }) => {
      const { reloaded, failed } = recorder(host);
      const debounceMs = 300;
      const watcher = await host.watch([root], { debounceMs });
      const file = path.join(root, 'svc/plugin.json5');
      for (let i = 1; i <= 100; i++) {
        const text = manifestText('svc', i === 100 ? '2.0.0' : `1.0.${i}`, i === 100 ? './v2.mjs' : './v1.mjs');
        if (i % 2 === 0) {
          // Write a temp file, then rename it over the manifest (vim, VS Code, JetBrains).
          const tmp = path.join(root, `svc/.plugin.json5.${i}.tmp`);
          writeFileSync(tmp, text);
          renameSync(tmp, file);
        } else {
          writeFileSync(file, text);
        }
      }
      await until(() => reloaded.length > 0, 10_000, 'the reload');
      // Quiet for several debounce windows: no second reload follows.
      await sleep(debounceMs * 4);
      expect(reloaded).toEqual([{ plugin: 'svc', from: '1.0.0', to: '2.0.0' }]);
      expect(failed).toEqual([]);
      expect(await answer(host)).toBe('v2');
      await watcher.close();
    });
  });

  test('calls hammering a plugin while the watcher reloads it all succeed: running calls finish on the old version, new calls reach the new one', async () => {
    await withSvc(async ({ host, root }) => {
      const { reloaded } = recorder(host);
      const watcher = await host.watch(root, { debounceMs: 50 });
      const errors: unknown[] = [];
      // By start order: which version answered each call.
      const answers: unknown[] = [];
      let hammering = true;
      const hammer = async () => {
        while (hammering) {
          const n = answers.push(undefined) - 1;
          await answer(host).then((a) => (answers[n] = a), (e: unknown) => errors.push(e));
          await sleep(1);
        }
      };
      const hammers = [hammer(), hammer(), hammer(), hammer()];
      // Started on v1 and still running when v2 is swapped in.
      const slow = answer(host, 'slow', { ms: 1500 });
      writeFileSync(path.join(root, 'svc/plugin.json5'), manifestText('svc', '2.0.0', './v2.mjs'));
      await until(() => reloaded.length === 1, 10_000, 'the reload');
      const afterSwap = await answer(host);
      await sleep(100);
      hammering = false;
      await Promise.all(hammers);
      expect(errors).toEqual([]);
      expect(afterSwap).toBe('v2');
      expect(answers).toContain('v1');
      // Every call started after the first call that reached v2 reached v2 too.
      expect(answers.slice(answers.indexOf('v2'))).not.toContain('v1');
      expect(answers).not.toContain(undefined);
      expect(await slow).toBe('v1');
      await watcher.close();
    });
  });

  test('a broken new version leaves the old one answering and emits reload-failed; fixing it reloads', async () => {
    await withSvc(async ({ host, errors, root }) => {
      writeFileSync(path.join(root, 'svc/broken.mjs'), "throw new Error('v2 is broken');\n");
      const { reloaded, failed } = recorder(host);
      const watcher = await host.watch([root], { debounceMs: 100 });
      const file = path.join(root, 'svc/plugin.json5');

      // Code that throws on import: the load fails.
      writeFileSync(file, manifestText('svc', '2.0.0', './broken.mjs'));
      await until(() => failed.length === 1, 10_000, 'reload-failed');
      expect(failed[0]).toMatchObject({ plugin: 'svc', error: { code: 'LOAD_FAILED' } });
      expect(failed[0]?.error.message).toContain('v2 is broken');
      expect(host.get('svc')).toMatchObject({ state: 'active', manifest: { version: '1.0.0' } });
      expect(await answer(host)).toBe('v1');

      // A manifest saved half-written: it does not parse.
      writeFileSync(file, "{ name: 'svc', version: ");
      await until(() => failed.length === 2, 10_000, 'the second reload-failed');
      expect(failed[1]).toMatchObject({ plugin: 'svc', error: { code: 'MANIFEST_SYNTAX' } });
      expect(await answer(host)).toBe('v1');
      expect(errors.map((e) => [e.operation, e.plugin])).toEqual([
        ['reload', 'svc'],
        ['reload', 'svc'],
      ]);

      writeFileSync(file, manifestText('svc', '2.0.0', './v2.mjs'));
      await until(() => reloaded.length === 1, 10_000, 'the fixed reload');
      expect(reloaded).toEqual([{ plugin: 'svc', from: '1.0.0', to: '2.0.0' }]);
      expect(await answer(host)).toBe('v2');
      await watcher.close();
    });
  });

  test('a new plugin directory loads, a removed one unloads, and a directory without a manifest is left alone', async () => {
    await withSvc(async ({ host, errors, root }) => {
      const watcher = await host.watch([root], { debounceMs: 50 });

      // Code first, manifest last, as a copy or an unzip would.
      writeTree({ 'fresh/v1.mjs': code('fresh v1') }, root);
      writeTree({ 'fresh/plugin.json5': manifestText('fresh', '1.0.0') }, root);
      writeTree({ 'notes/todo.txt': 'not a plugin' }, root);
      await until(() => host.get('fresh')?.state === 'active', 10_000, 'fresh to load');
      expect((await host.callTool('fresh', 'version')).structuredContent).toBe('fresh v1');

      rmSync(path.join(root, 'svc'), { recursive: true, force: true });
      await until(() => host.get('svc') === undefined, 10_000, 'svc to unload');
      expect((await rejection(host.callTool('svc', 'version'))).code).toBe('PLUGIN_NOT_FOUND');

      expect(host.list().map((e) => e.name)).toEqual(['fresh']);
      expect(errors).toEqual([]);

      // After close, nothing reacts.
      await watcher.close();
      writeTree({ 'late/plugin.json5': manifestText('late', '1.0.0'), 'late/v1.mjs': code('late') }, root);
      await sleep(400);
      expect(host.get('late')).toBeUndefined();
    });
  });

  test('a new plugin directory that does not load yet is reported as an error event, and loads once fixed', async () => {
    await withSvc(async ({ host, errors, root }) => {
      const watcher = await host.watch([root], { debounceMs: 100 });
      writeTree({ 'wip/plugin.json5': "{ name: 'wip', version: '1.0.0', description: 'd', author: 'a', sandbox: 'native', entry: './v1.mjs', tools: 'oops' }" }, root);
      await until(() => errors.length > 0, 10_000, 'the load error');
      expect(errors[0]).toMatchObject({ operation: 'load', error: { code: 'MANIFEST_INVALID' } });
      expect(host.get('wip')).toBeUndefined();

      writeTree({ 'wip/v1.mjs': code('wip'), 'wip/plugin.json5': manifestText('wip', '1.0.0') }, root);
      await until(() => host.get('wip')?.state === 'active', 10_000, 'wip to load');
      expect(errors.map((e) => [e.operation, (e.error as { code?: string }).code])).toEqual(errors.map(() => ['load', 'MANIFEST_INVALID']));
      await watcher.close();
    });
  });

  test("changes under node_modules, .git, hidden top-level dirs and the host's data dir reload nothing", async () => {
    await withSvc(async ({ host, errors, root }) => {
      const { reloaded } = recorder(host);
      const watcher = await host.watch([root], { debounceMs: 50 });
      writeTree(
        {
          'svc/node_modules/dep/index.js': 'module.exports = 1;',
          'svc/.git/HEAD': 'ref: refs/heads/main',
          '.staging/copy/plugin.json5': manifestText('copy', '1.0.0'),
          'data/svc/state.json': '{"n":1}',
          'data/ghost/plugin.json5': manifestText('ghost', '1.0.0'),
        },
        root,
      );
      await sleep(500);
      expect(reloaded).toEqual([]);
      expect(host.list().map((e) => e.name)).toEqual(['svc']);
      expect(errors).toEqual([]);

      // Still watching: a real change reloads.
      writeFileSync(path.join(root, 'svc/v1.mjs'), code('v1') + '\n// edited\n');
      await until(() => reloaded.length === 1, 10_000, 'the reload');
      await watcher.close();
    }, { dataDir: (root) => path.join(root, 'data') });
  });

  test('a change while a reload is running queues exactly one more reload, not one per change', async () => {
    let gate: Promise<void> | undefined;
    let instantiated = 0;
    const modules = {
      gated: async (): Promise<PluginModule> => {
        instantiated++;
        await gate;
        return { tools: { ok: { description: 'ok', run: () => 'ok' } } };
      },
    };
    const root = writeTree({ 'gated/plugin.json5': manifestText('gated', '1.0.0') });
    try {
      await withHost({ modules }, async ({ host }) => {
        const { reloaded } = recorder(host);
        await host.load(path.join(root, 'gated'));
        const debounceMs = 50;
        const watcher = await host.watch([root], { debounceMs });
        let release!: () => void;
        gate = new Promise((resolve) => (release = resolve));
        const file = path.join(root, 'gated/plugin.json5');
        writeFileSync(file, manifestText('gated', '2.0.0'));
        await until(() => instantiated === 2, 10_000, 'the first reload to start');
        for (const v of ['3.0.0', '4.0.0', '5.0.0']) {
          writeFileSync(file, manifestText('gated', v));
          // Past the debounce, so each change fires while the first reload still waits.
          await sleep(debounceMs * 3);
        }
        gate = undefined;
        release();
        await until(() => reloaded.length === 2, 10_000, 'the queued reload');
        await sleep(debounceMs * 6);
        expect(reloaded).toEqual([
          { plugin: 'gated', from: '1.0.0', to: '2.0.0' },
          { plugin: 'gated', from: '2.0.0', to: '5.0.0' },
        ]);
        expect(instantiated).toBe(3);
        await watcher.close();
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('host.close() closes watchers still open, and watch() on a closed host is refused', async () => {
    // fs.watch handles; a closed one leaves the list a moment after close() resolves.
    const fsWatches = () => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
    await until(() => fsWatches() === 0, 5000, 'earlier watches to be released');
    let closedHost: PluginHost | undefined;
    await withSvc(async ({ host, root }) => {
      await host.watch([root], { debounceMs: 50 });
      expect(fsWatches()).toBeGreaterThan(0);
      closedHost = host;
    });
    await until(() => fsWatches() === 0, 5000, 'the watch handles to be released');
    expect((await rejection((closedHost as PluginHost).watch())).code).toBe('HOST_CLOSED');
  });

  test('a negative debounce is refused with INVALID_OPTIONS naming the option', async () => {
    await withHost({ drivers: [createNativeDriver()] }, async ({ host }) => {
      const err = await rejection(host.watch([], { debounceMs: -1 }));
      expect(err).toMatchObject({ code: 'INVALID_OPTIONS', data: { option: 'debounceMs', received: -1 } });
    });
  });
});

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const examples = path.join(repo, 'examples');

interface DriverCase {
  kind: string;
  driver: () => SandboxDriver;
  /** Creates the plugins dir; returns it with the plugin's name. */
  setup(): { root: string; plugin: string };
  /** The new version: echo answers differently (process) or the module is replaced (wasm). */
  update(dir: string): void;
  /** What echo({ n: 1 }) answers after the update. */
  updated: unknown;
  /** A new version that cannot start. */
  breakIt(dir: string): void;
}

const cases: DriverCase[] = [
  {
    kind: 'process',
    driver: () => createProcessDriver(),
    setup() {
      // Inside the repository, so the plugin's `import '@clawdesk/plugin-sdk'` resolves (.tmp/ is git-ignored).
      const scratch = path.join(repo, 'packages/host/.tmp');
      mkdirSync(scratch, { recursive: true });
      const root = mkdtempSync(path.join(scratch, 'watch-'));
      const dir = path.join(root, 'process-echo');
      mkdirSync(dir);
      for (const f of ['plugin.json5', 'index.mjs']) copyFileSync(path.join(examples, 'process-echo', f), path.join(dir, f));
      return { root, plugin: 'process-echo' };
    },
    update(dir) {
      const file = path.join(dir, 'index.mjs');
      const source = readFileSync(file, 'utf8');
      const edited = source.replace('run: (args) => args }', 'run: (args) => ({ ...args, edited: true }) }');
      expect(edited).not.toBe(source);
      writeFileSync(file, edited);
    },
    updated: { n: 1, edited: true },
    breakIt(dir) {
      writeFileSync(path.join(dir, 'index.mjs'), 'process.exit(7);\n');
    },
  },
  {
    kind: 'wasm',
    driver: () => createWasmDriver(),
    setup() {
      const root = tempDir('clawdesk-watch-wasm-');
      const dir = path.join(root, 'wasm-conformance');
      mkdirSync(path.join(dir, 'dist'), { recursive: true });
      copyFileSync(path.join(examples, 'wasm-conformance/plugin.json5'), path.join(dir, 'plugin.json5'));
      copyFileSync(path.join(examples, 'wasm-conformance/dist/plugin.wasm'), path.join(dir, 'dist/plugin.wasm'));
      return { root, plugin: 'wasm-conformance' };
    },
    update(dir) {
      // Same code, fresh file: a rebuild that produced identical bytes still reloads.
      const wasm = path.join(dir, 'dist/plugin.wasm');
      const later = new Date(Date.now() + 1000);
      utimesSync(wasm, later, later);
    },
    updated: { n: 1 },
    breakIt(dir) {
      writeFileSync(path.join(dir, 'dist/plugin.wasm'), 'not a wasm module');
    },
  },
];

describe.each(cases)('host.watch with the $kind driver', (c) => {
  test(`a changed ${c.kind} plugin reloads while calls keep succeeding, and a version that cannot start leaves the old one serving`, async () => {
    const { root, plugin } = c.setup();
    const dir = path.join(root, plugin);
    try {
      await withHost({ drivers: [c.driver()] }, async ({ host }) => {
        const { reloaded, failed } = recorder(host);
        await host.load(dir);
        const watcher = await host.watch([root], { debounceMs: 100 });
        const errors: unknown[] = [];
        let calls = 0;
        let hammering = true;
        const hammer = async () => {
          while (hammering) {
            await host.callTool(plugin, 'echo', { n: 1 }).then(() => calls++, (e: unknown) => errors.push(e));
            await sleep(2);
          }
        };
        const hammers = [hammer(), hammer()];
        try {
          c.update(dir);
          await until(() => reloaded.length === 1, 15_000, `the ${c.kind} reload`);
          expect((await host.callTool(plugin, 'echo', { n: 1 })).structuredContent).toEqual(c.updated);
          await sleep(50);
        } finally {
          hammering = false;
          await Promise.all(hammers);
        }
        expect(errors).toEqual([]);
        expect(calls).toBeGreaterThan(0);

        c.breakIt(dir);
        await until(() => failed.length === 1, 15_000, `the ${c.kind} reload-failed`);
        expect(failed[0]).toMatchObject({ plugin, error: { code: 'LOAD_FAILED' } });
        expect(host.get(plugin)?.state).toBe('active');
        expect((await host.callTool(plugin, 'echo', { n: 2 })).structuredContent).toEqual({ ...(c.updated as object), n: 2 });
        expect(reloaded).toHaveLength(1);
        await watcher.close();
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
