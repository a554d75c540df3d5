import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadManifest, type PluginManifest } from '@clawdesk/manifest';
import { createTestContext, type TestContext } from '@clawdesk/sandbox/conformance';
import { type ExitInfo, resultValue, type SandboxInstance } from '@clawdesk/sandbox';
import { createWasmDriver } from '../src/index.js';
import { callOpts, copyExample, instanceTracker, loadExample, rejectionOf } from './helpers.js';

const MIB = 2 ** 20;
const WASI_ENOTCAPABLE = 76;
const WASI_EMFILE = 33;

const plugin = copyExample('wasm-hostile');
mkdirSync(path.join(plugin.dir, 'scratch'), { recursive: true }); // its fs.write dir (not copied: tests write into it)
const contexts: TestContext[] = [];
const instances = instanceTracker();
let manifest: PluginManifest;

beforeAll(async () => {
  manifest = await loadManifest(plugin.dir);
});
afterEach(async () => {
  await instances.disposeAll();
  for (const ctx of contexts.splice(0)) ctx.cleanup();
});
afterAll(() => plugin.cleanup());

async function start(m: PluginManifest = manifest, driver = createWasmDriver(), config?: Record<string, unknown>): Promise<{ instance: SandboxInstance; ctx: TestContext }> {
  const ctx = createTestContext(m, { config });
  contexts.push(ctx);
  const instance = instances.track(await driver.instantiate(m, ctx));
  return { instance, ctx };
}

const value = async (instance: SandboxInstance, tool: string, args: unknown = {}) => {
  const result = await instance.callTool(tool, args, callOpts());
  expect(result.isError).toBeUndefined();
  return resultValue(result) as Record<string, any>;
};

function exits(instance: SandboxInstance): ExitInfo[] {
  const seen: ExitInfo[] = [];
  instance.onExit((info) => seen.push(info));
  return seen;
}

describe('runaway code', () => {
  test('an infinite loop times out, the plugin answers its next call, and another plugin and the event loop never notice', async () => {
    const { instance } = await start();
    const { instance: neighbour } = await start(await loadExample('wasm-conformance'));
    const seen = exits(instance);
    let maxGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 10);
    try {
      const spinning = rejectionOf(instance.callTool('spin', {}, callOpts(1_000)));
      const answers: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        expect(resultValue(await neighbour.callTool('echo', { i }, callOpts()))).toEqual({ i });
        answers.push(performance.now() - t0);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      const error = await spinning;
      expect(error.code).toBe('TIMEOUT');
      expect(error.data).toMatchObject({ timeoutMs: 1_000 });
      expect(Math.max(...answers)).toBeLessThan(250);
      expect(maxGap).toBeLessThan(250);
    } finally {
      clearInterval(ticker);
    }
    expect(resultValue(await instance.callTool('tool_error', {}, callOpts()))).toBe('hostile tool says no');
    expect(seen).toEqual([]);
  });

  test('calls queued behind a timed-out call run on the restarted worker, in order', async () => {
    const { instance } = await start(await loadExample('wasm-conformance'));
    const spin = rejectionOf(instance.callTool('spin', {}, callOpts(300)));
    const queued = [1, 2, 3].map((n) => instance.callTool('echo', { n }, callOpts()));
    expect((await spin).code).toBe('TIMEOUT');
    expect((await Promise.all(queued)).map(resultValue)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  test('cancelling a queued call rejects only that call', async () => {
    const { instance } = await start(await loadExample('wasm-conformance'));
    const sleeping = instance.callTool('sleep', { ms: 300 }, callOpts());
    const controller = new AbortController();
    const queued = rejectionOf(instance.callTool('echo', { never: true }, callOpts(15_000, controller.signal)));
    controller.abort(new Error('changed my mind'));
    const error = await queued;
    expect(error.code).toBe('CANCELLED');
    expect((error as Error).cause).toEqual(new Error('changed my mind'));
    expect(resultValue(await sleeping)).toEqual({ slept: 300 });
  });
});

describe('memory', () => {
  test('a memory bomb stops at permissions.memoryMb with MEMORY_LIMIT naming plugin, tool and cap, onExit says memory, and the host stays small', async () => {
    const { instance } = await start();
    const seen = exits(instance);
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const error = await rejectionOf(instance.callTool('memory_bomb', {}, callOpts()));
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(error.code).toBe('MEMORY_LIMIT');
    expect(error.message).toBe('plugin "wasm-hostile", tool "memory_bomb" exceeded its memory cap of 32 MB (permissions.memoryMb)');
    expect(error).toMatchObject({ plugin: 'wasm-hostile', tool: 'memory_bomb' });
    expect(error.data).toMatchObject({ limitMb: 32, reason: 'memory', detail: expect.stringMatching(/memory limit of 32 MiB reached/) });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(400 * MIB);
    expect(seen).toEqual([expect.objectContaining({ reason: 'memory' })]);
  });

  test('Extism host allocations count against memoryMb too', async () => {
    const { instance } = await start();
    const error = await rejectionOf(instance.callTool('host_alloc_bomb', {}, callOpts()));
    expect(error.code).toBe('MEMORY_LIMIT');
    expect(error.data).toMatchObject({ limitMb: 32, reason: 'memory', detail: expect.stringMatching(/more than 32 MiB of Extism host memory/) });
  });

  test('a bare trap away from the cap is still CRASHED, not MEMORY_LIMIT', async () => {
    const { instance } = await start();
    expect((await rejectionOf(instance.callTool('trap', {}, callOpts()))).code).toBe('CRASHED');
  });
});

describe('traps', () => {
  test('a bare trap rejects with CRASHED carrying the wasm trap message and ends the instance', async () => {
    const { instance } = await start();
    const seen = exits(instance);
    const error = await rejectionOf(instance.callTool('trap', {}, callOpts()));
    expect(error.code).toBe('CRASHED');
    expect(error.message).toBe('plugin "wasm-hostile", tool "trap" crashed: unreachable');
    expect(error.data).toMatchObject({ reason: 'crash' });
    expect(seen).toEqual([{ reason: 'crash', message: 'unreachable' }]);
    expect((await rejectionOf(instance.callTool('bad_json', {}, callOpts()))).code).toBe('CRASHED');
  });

  test("an AssemblyScript abort carries the plugin's own message and source position", async () => {
    const { instance } = await start();
    const error = await rejectionOf(instance.callTool('panic', {}, callOpts()));
    expect(error.code).toBe('CRASHED');
    expect(error.message).toMatch(/crashed: hostile panic: the reactor is on fire \(assembly\/index\.ts:\d+:\d+\)$/);
  });
});

describe('output', () => {
  test('output above maxOutputBytes rejects with OUTPUT_TOO_LARGE and the plugin keeps answering', async () => {
    const { instance } = await start(manifest, createWasmDriver({ maxOutputBytes: MIB }));
    const error = await rejectionOf(instance.callTool('huge_output', { mib: 2 }, callOpts()));
    expect(error.code).toBe('OUTPUT_TOO_LARGE');
    expect(error.data).toEqual({ limitBytes: MIB, bytes: 2 * MIB + 2 });
    expect(error.message).toBe(`plugin "wasm-hostile", tool "huge_output" output exceeds ${MIB} bytes`);
    expect(resultValue(await instance.callTool('tool_error', {}, callOpts()))).toBe('hostile tool says no');
  });

  test('the default output cap is 16 MiB', async () => {
    const roomy = { ...manifest, permissions: { ...manifest.permissions, memoryMb: 160 } };
    const { instance } = await start(roomy);
    const error = await rejectionOf(instance.callTool('huge_output', { mib: 17 }, callOpts()));
    expect(error.code).toBe('OUTPUT_TOO_LARGE');
    expect(error.data).toMatchObject({ limitBytes: 16 * MIB });
  });

  test('output that is not JSON rejects with INVALID_OUTPUT naming the plugin and the tool', async () => {
    const { instance } = await start();
    const error = await rejectionOf(instance.callTool('bad_json', {}, callOpts()));
    expect(error.code).toBe('INVALID_OUTPUT');
    expect(error).toMatchObject({ plugin: 'wasm-hostile', tool: 'bad_json', driver: 'wasm' });
    expect(error.message).toBe('plugin "wasm-hostile", tool "bad_json" returned invalid output: the output is not JSON: "this is {not json"');
  });

  test('output that is not UTF-8 rejects with INVALID_OUTPUT', async () => {
    const { instance } = await start();
    const error = await rejectionOf(instance.callTool('bad_utf8', {}, callOpts()));
    expect(error.code).toBe('INVALID_OUTPUT');
    expect(error.message).toBe('plugin "wasm-hostile", tool "bad_utf8" returned invalid output: the output is not valid UTF-8');
  });

  test('a tool that sets no output rejects with INVALID_OUTPUT', async () => {
    const { instance } = await start();
    const error = await rejectionOf(instance.callTool('no_output', {}, callOpts()));
    expect(error.code).toBe('INVALID_OUTPUT');
    expect(error.message).toMatch(/returned without setting any output/);
  });

  test("a plugin-reported error is an isError result with the plugin's message", async () => {
    const { instance } = await start();
    expect(await instance.callTool('tool_error', {}, callOpts())).toEqual({ content: [{ type: 'text', text: 'hostile tool says no' }], isError: true });
  });
});

describe('network', () => {
  let server: Server;
  let port: number;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      requests.push(`${req.headers.host} ${req.url}`);
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `http://localhost:${port}/secret` });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`pong ${req.url}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => void requests.splice(0));

  test('HTTP to an allowed host reaches it and returns status and body', async () => {
    const { instance } = await start();
    expect(await value(instance, 'http_get', { url: `http://127.0.0.1:${port}/ping` })).toEqual({ status: 200, body: 'pong /ping' });
    expect(requests).toEqual([`127.0.0.1:${port} /ping`]);
  });

  test('HTTP to a host outside network.allowedHosts fails inside the plugin, is logged, and never leaves the machine', async () => {
    const { instance, ctx } = await start();
    // The same server under a name the manifest does not allow.
    expect(await value(instance, 'http_get', { url: `http://localhost:${port}/steal` })).toEqual({ status: 0, body: '' });
    expect(await value(instance, 'http_get', { url: 'http://evil.example/steal' })).toEqual({ status: 0, body: '' });
    expect(requests).toEqual([]);
    expect(ctx.logger.entries.filter((e) => e.level === 'warn').map((e) => e.message)).toEqual([
      `blocked HTTP request to localhost:${port}: not in permissions.network.allowedHosts`,
      'blocked HTTP request to evil.example: not in permissions.network.allowedHosts',
    ]);
  });

  test('a redirect from an allowed host to another host is not followed', async () => {
    const { instance, ctx } = await start();
    expect(await value(instance, 'http_get', { url: `http://127.0.0.1:${port}/redirect` })).toEqual({ status: 0, body: '' });
    expect(requests).toEqual([`127.0.0.1:${port} /redirect`]);
    expect(ctx.logger.entries.map((e) => e.message)).toContain(`blocked HTTP request to localhost:${port}: localhost:${port} is not in permissions.network.allowedHosts`);
  });
});

describe('environment and files', () => {
  test('the plugin sees no environment variable, whatever the host has', async () => {
    process.env.CLAWDESK_TEST_SECRET = 'hunter2';
    try {
      const { instance } = await start();
      expect(await value(instance, 'env_count')).toEqual({ errno: 0, count: 0 });
    } finally {
      delete process.env.CLAWDESK_TEST_SECRET;
    }
  });

  test("the SDK's clock reads the host's wall clock through WASI", async () => {
    const { instance } = await start();
    const { now } = await value(instance, 'clock');
    expect(Math.abs(now - Date.now())).toBeLessThan(5_000);
  });

  test("the host's config is also Extism's config, non-strings as JSON text", async () => {
    const { instance } = await start(manifest, createWasmDriver(), { region: 'eu', limits: { rpm: 60 } });
    expect(await value(instance, 'extism_config', { key: 'region' })).toEqual({ value: 'eu' });
    expect(await value(instance, 'extism_config', { key: 'limits' })).toEqual({ value: '{"rpm":60}' });
    expect(await value(instance, 'extism_config', { key: 'missing' })).toEqual({ value: null });
  });

  test('a declared dir that does not exist is left out with a warning, and nothing is created', async () => {
    const bare = copyExample('wasm-hostile');
    try {
      const m = await loadManifest(bare.dir);
      const { instance, ctx } = await start(m);
      expect(((await value(instance, 'fs_probe', { path: 'hello.txt' })).preopens as { dir: string }[]).map((p) => p.dir)).toEqual(['/data']);
      expect(ctx.logger.entries).toContainEqual({
        level: 'warn',
        message: 'permissions.fs.write path "./scratch" is not a directory; the plugin will not see it',
        fields: { path: path.join(bare.dir, 'scratch') },
      });
      expect(existsSync(path.join(bare.dir, 'scratch'))).toBe(false);
    } finally {
      await instances.disposeAll();
      bare.cleanup();
    }
  });

  test('fs.read dirs are readable only, fs.write dirs are writable, and nothing else is reachable', async () => {
    const { instance } = await start();
    const probe = async (args: Record<string, unknown>) =>
      ((await value(instance, 'fs_probe', args)).preopens as { dir: string; errno: number; text?: string }[]).map((p) => ({ ...p, fd: undefined }));

    expect(await probe({ path: 'hello.txt' })).toEqual([
      { dir: '/data', errno: 0, text: 'hello from the data dir\n', fd: undefined },
      { dir: '/scratch', errno: 44, fd: undefined }, // ENOENT
    ]);
    expect(await probe({ path: 'note.txt', write: true, text: 'kept' })).toEqual([
      { dir: '/data', errno: WASI_ENOTCAPABLE, fd: undefined },
      { dir: '/scratch', errno: 0, fd: undefined },
    ]);
    expect(readFileSync(path.join(plugin.dir, 'scratch', 'note.txt'), 'utf8')).toBe('kept');
    expect(existsSync(path.join(plugin.dir, 'data', 'note.txt'))).toBe(false);
    expect(await value(instance, 'fs_unlink', { path: 'hello.txt' })).toEqual({ errnos: [WASI_ENOTCAPABLE, 44] });
    expect(existsSync(path.join(plugin.dir, 'data', 'hello.txt'))).toBe(true);

    for (const escape of ['../plugin.json5', '/etc/passwd', '../../../../../../etc/passwd']) {
      for (const p of await probe({ path: escape })) expect({ escape, ...p, errno: p.errno === 0 }).toEqual({ escape, dir: p.dir, errno: false, fd: undefined });
    }
  });

  test('a directory opened inside a read-only dir cannot be written either', async () => {
    mkdirSync(path.join(plugin.dir, 'data', 'sub'), { recursive: true });
    mkdirSync(path.join(plugin.dir, 'scratch', 'sub'), { recursive: true });
    const { instance } = await start();
    expect((await value(instance, 'fs_nested_write', { dir: 'sub', file: 'planted.txt' })).preopens).toEqual([
      { dir: '/data', open: 0, create: WASI_ENOTCAPABLE },
      { dir: '/scratch', open: 0, create: 0 },
    ]);
    expect(existsSync(path.join(plugin.dir, 'data', 'sub', 'planted.txt'))).toBe(false);
    expect(existsSync(path.join(plugin.dir, 'scratch', 'sub', 'planted.txt'))).toBe(true);
  });

  test('fd_renumber cannot move the read-only preopen to a new number to write through it', async () => {
    const { instance } = await start();
    const result = await value(instance, 'fs_renumber', { path: 'renumbered.txt' });
    expect(result.renumber).toBe(WASI_ENOTCAPABLE);
    expect(result.open).toBe(WASI_ENOTCAPABLE);
    expect(existsSync(path.join(plugin.dir, 'data', 'renumbered.txt'))).toBe(false);
  });

  test('open files are capped per plugin (EMFILE inside the plugin), closed after each call, and none is left after dispose', async () => {
    const hostFds = () => readdirSync('/proc/self/fd').length;
    const before = hostFds();
    const { instance } = await start(manifest, createWasmDriver({ maxOpenFiles: 100 }));
    expect(await value(instance, 'fd_flood', { count: 5000 })).toEqual({ opened: 100, errno: WASI_EMFILE });
    // The next call may open as many again: the first call's files were closed when it ended.
    expect(await value(instance, 'fd_flood', { count: 5000 })).toEqual({ opened: 100, errno: WASI_EMFILE });
    expect(hostFds() - before).toBeLessThan(20);
    await instance.dispose();
    expect(hostFds() - before).toBeLessThan(10);
  });

  test('the default cap is 256 open files', async () => {
    const { instance } = await start();
    expect(await value(instance, 'fd_flood', { count: 5000 })).toEqual({ opened: 256, errno: WASI_EMFILE });
  });

  test('a symlink inside an allowed dir that leads outside it fails the load, naming the link', async () => {
    const secret = path.join(plugin.dir, 'secret.txt');
    writeFileSync(secret, 'top secret');
    const link = path.join(plugin.dir, 'data', 'link.txt');
    symlinkSync(secret, link);
    try {
      const error = await rejectionOf(start());
      expect(error.code).toBe('LOAD_FAILED');
      expect(error.message).toContain(`a symlink in permissions.fs path "./data" leads outside it: ${link} -> ${secret}`);
    } finally {
      rmSync(link);
    }
  });
});
