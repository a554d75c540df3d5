// The wasm driver's guarantees, hostile plugins included, as a host app meets them: only
// createHost + load/callTool/dispatch/inspect/close and the host's events.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { createHost, DEFAULT_RESTART_POLICY, type PluginHost, type RestartPolicy } from '@clawdesk/host';
import { loadManifest } from '@clawdesk/manifest';
import { resultValue } from '@clawdesk/sandbox';
import { createWasmDriver, type WasmDriver } from '@clawdesk/sandbox-wasm';
import {
  copyExample,
  exampleDir,
  type HostEventLog,
  type LocalServer,
  recordEvents,
  rejectionOf,
  startServer,
  tempDir,
} from './wasm-support.js';

const MIB = 2 ** 20;
const WASI_ENOENT = 44;
const WASI_ENOTCAPABLE = 76;
const SECRET = 'CLAWDESK_E2E_WASM_SECRET';
const REFERER = 'https://weather.example.com/';
/** A small "image": PNG signature plus bytes that are not valid UTF-8, so nothing is re-encoded on the way. */
const RADAR = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37) % 256))]);
/** Crashes tolerated before `failed` on the main host: room for every hostile crash in this file. */
const MAIN_RESTART: Partial<RestartPolicy> = { maxCrashes: 10 };

const work = tempDir('wasm');
const dataDir = path.join(work.dir, 'data');
const hostileDir = copyExample('wasm-hostile', path.join(work.dir, 'plugins'));
mkdirSync(path.join(hostileDir, 'scratch')); // its fs.write dir

let driver: WasmDriver;
let host: PluginHost;
let events: HostEventLog;
/** What the host logged while loading the three plugins. */
let loadLogs: HostEventLog['logs'];
let server: LocalServer;
/** Same handler on another port: never in any allowedHosts, so it must never see a request. */
let stranger: LocalServer;

const handle: Parameters<typeof startServer>[0] = (req, res) => {
  if (req.url === '/radar.png') {
    if (req.headers.referer !== REFERER) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('hotlinking forbidden');
      return;
    }
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': RADAR.length });
    res.end(RADAR);
    return;
  }
  if (req.url === '/redirect') {
    res.writeHead(302, { location: `http://localhost:${server.port}/secret` });
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`pong ${req.url}`);
};

beforeAll(async () => {
  // A secret in the host's environment before any plugin starts: no plugin may see it.
  process.env[SECRET] = 'hunter2';
  server = await startServer(handle);
  stranger = await startServer(handle);
  driver = createWasmDriver();
  host = createHost({
    drivers: [driver],
    hostVersion: '1.0.0',
    dataDir,
    restart: MAIN_RESTART,
    config: (plugin) => {
      if (plugin === 'weather-wasm') return { units: 'imperial' };
      if (plugin === 'wasm-hostile') return { region: 'eu', limits: { rpm: 60 } };
      return undefined;
    },
  });
  events = recordEvents(host);
  await host.load(hostileDir);
  await host.load(exampleDir('wasm-conformance'));
  // weather-wasm as shipped allows radar.example.com; here it points at the local server instead.
  const weather = await loadManifest(exampleDir('weather-wasm'));
  await host.load({
    ...weather,
    permissions: { ...weather.permissions, network: { allowedHosts: [`127.0.0.1:${server.port}`] } },
    browserCdn: { downloadRules: [{ matchHosts: ['127.0.0.1'], referer: REFERER }] },
  });
  loadLogs = [...events.logs];
});

afterAll(async () => {
  try {
    await host?.close();
    await server?.close();
    await stranger?.close();
  } finally {
    delete process.env[SECRET];
    work.cleanup();
  }
});

beforeEach(() => {
  events.clear();
  server.requests.splice(0);
  stranger.requests.splice(0);
});

const call = (plugin: string, tool: string, args: unknown = {}, opts?: { timeoutMs?: number; signal?: AbortSignal }) => host.callTool(plugin, tool, args, opts);

/** The value of a successful call (fails the test on an isError result). */
async function value(plugin: string, tool: string, args: unknown = {}): Promise<any> {
  const result = await call(plugin, tool, args);
  expect(result.isError).toBeUndefined();
  return resultValue(result);
}

const echo = (args: Record<string, unknown>) => value('wasm-conformance', 'echo', args);

/** The delay the restart policy gives the `crashes`-th crash in its window. */
function backoff(crashes: number, policy: RestartPolicy = { ...DEFAULT_RESTART_POLICY, ...MAIN_RESTART }): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (crashes - 1));
}

/** After a crash: one crash event with the policy's delay, the host still up, and the plugin serving again after a restart. */
async function expectRestartAfterCrash(plugin: string, exit: Record<string, unknown>): Promise<void> {
  expect(events.crashes).toHaveLength(1);
  const [crash] = events.crashes;
  expect(crash).toEqual({ plugin, exit: expect.objectContaining(exit), crashes: expect.any(Number), restartInMs: backoff(crash!.crashes) });
  expect(host.get(plugin)?.state).toBe('active');
  expect(await echo({ neighbour: 'unaffected' })).toEqual({ neighbour: 'unaffected' });
  // The next call waits for the restart instead of failing.
  expect(await call(plugin, 'tool_error')).toEqual({ content: [{ type: 'text', text: 'hostile tool says no' }], isError: true });
  expect(events.restarts).toEqual([{ plugin, attempt: crash!.crashes }]);
}

describe('runaway code', () => {
  test('an infinite loop times out at the manifest timeoutMs with TIMEOUT, other plugins keep answering meanwhile, and the plugin answers its next call', async () => {
    const t0 = performance.now();
    let settledAt = 0;
    const spinning = rejectionOf(call('wasm-hostile', 'spin')).finally(() => (settledAt = performance.now()));
    const latencies: number[] = [];
    while (settledAt === 0) {
      const started = performance.now();
      expect(await echo({ i: latencies.length })).toEqual({ i: latencies.length });
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    const error = await spinning;
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toBe('plugin "wasm-hostile", tool "spin" timed out after 2000 ms');
    expect(error).toMatchObject({ plugin: 'wasm-hostile', tool: 'spin', driver: 'wasm', data: { timeoutMs: 2000 } });
    expect(settledAt - t0).toBeGreaterThanOrEqual(1990);
    expect(settledAt - t0).toBeLessThan(2000 + 250);
    expect(latencies.length).toBeGreaterThan(10);
    expect(Math.max(...latencies)).toBeLessThan(250);

    expect(await call('wasm-hostile', 'tool_error')).toEqual({ content: [{ type: 'text', text: 'hostile tool says no' }], isError: true });
    // A timeout recycles the sandbox inside the driver: not a crash, nothing for the restart policy.
    expect(events.crashes).toEqual([]);
    expect(host.get('wasm-hostile')?.state).toBe('active');
  });

  test("a per-call timeoutMs overrides the manifest's, and calls queued behind the runaway call are answered in order afterwards", async () => {
    const t0 = performance.now();
    const spinning = rejectionOf(call('wasm-conformance', 'spin', {}, { timeoutMs: 300 }));
    const queued = [1, 2, 3].map((n) => call('wasm-conformance', 'echo', { n }));
    const error = await spinning;
    expect(performance.now() - t0).toBeLessThan(300 + 250);
    expect(error).toMatchObject({ code: 'TIMEOUT', message: 'plugin "wasm-conformance", tool "spin" timed out after 300 ms', data: { timeoutMs: 300 } });
    expect((await Promise.all(queued)).map(resultValue)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  test('aborting the signal of a runaway call rejects it with CANCELLED carrying the reason, and the plugin answers its next call', async () => {
    const controller = new AbortController();
    const spinning = rejectionOf(call('wasm-conformance', 'spin', {}, { signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const t0 = performance.now();
    controller.abort(new Error('user pressed stop'));
    const error = await spinning;
    expect(performance.now() - t0).toBeLessThan(250);
    expect(error).toMatchObject({ code: 'CANCELLED', message: 'plugin "wasm-conformance", tool "spin" was cancelled', cause: new Error('user pressed stop') });
    expect(await echo({ after: 'cancel' })).toEqual({ after: 'cancel' });
    expect(events.crashes).toEqual([]);
  });
});

describe('memory', () => {
  test('a memory bomb stops at permissions.memoryMb with MEMORY_LIMIT (reason memory), the host stays small, and the restart policy brings the plugin back', async () => {
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const error = await rejectionOf(call('wasm-hostile', 'memory_bomb'));
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(error).toMatchObject({ code: 'MEMORY_LIMIT', plugin: 'wasm-hostile', tool: 'memory_bomb', driver: 'wasm', data: { reason: 'memory', limitMb: 32 } });
    expect(error.message).toBe('plugin "wasm-hostile", tool "memory_bomb" exceeded its memory cap of 32 MB (permissions.memoryMb)');
    expect(error.data?.detail).toMatch(/^memory limit of 32 MiB reached/);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(400 * MIB);
    await expectRestartAfterCrash('wasm-hostile', { reason: 'memory', message: expect.stringMatching(/^memory limit of 32 MiB reached/) });
  });

  test('Extism host allocations count against memoryMb too', async () => {
    const error = await rejectionOf(call('wasm-hostile', 'host_alloc_bomb'));
    expect(error).toMatchObject({ code: 'MEMORY_LIMIT', data: { reason: 'memory', limitMb: 32 } });
    expect(error.data?.detail).toMatch(/more than 32 MiB of Extism host memory/);
    await expectRestartAfterCrash('wasm-hostile', { reason: 'memory' });
  });
});

describe('crashes', () => {
  test('a bare trap rejects with CRASHED carrying the wasm trap message, and the host restarts the plugin', async () => {
    const error = await rejectionOf(call('wasm-hostile', 'trap'));
    expect(error).toMatchObject({ code: 'CRASHED', plugin: 'wasm-hostile', tool: 'trap', driver: 'wasm', data: { reason: 'crash' } });
    expect(error.message).toBe('plugin "wasm-hostile", tool "trap" crashed: unreachable');
    await expectRestartAfterCrash('wasm-hostile', { reason: 'crash', message: 'unreachable' });
  });

  test("an AssemblyScript panic rejects with CRASHED carrying the plugin's own message and source position", async () => {
    const error = await rejectionOf(call('wasm-hostile', 'panic'));
    expect(error.code).toBe('CRASHED');
    expect(error.message).toMatch(/^plugin "wasm-hostile", tool "panic" crashed: hostile panic: the reactor is on fire \(assembly\/index\.ts:\d+:\d+\)$/);
    await expectRestartAfterCrash('wasm-hostile', { reason: 'crash', message: expect.stringContaining('hostile panic: the reactor is on fire') });
  });

  test('crashes restart the plugin with growing backoff until too many in the window mark it failed, and closing the host stops every plugin thread', async () => {
    const own = createWasmDriver();
    const policy: RestartPolicy = { initialDelayMs: 50, factor: 2, maxDelayMs: 1000, maxCrashes: 3, windowMs: 60_000 };
    const crashy = createHost({ drivers: [own], hostVersion: '1.0.0', dataDir: path.join(work.dir, 'crashy-data'), restart: policy });
    const seen = recordEvents(crashy);
    const errors: string[] = [];
    crashy.on('error', (e) => errors.push(`${e.operation}: ${e.error.message}`));
    try {
      await crashy.load(exampleDir('wasm-conformance'));
      const crashMessage = /^plugin "wasm-conformance", tool "crash" crashed: conformance crash requested \(assembly\/index\.ts:\d+:\d+\)$/;
      for (const attempt of [1, 2]) {
        const restarted = once(crashy, 'restart');
        const error = await rejectionOf(crashy.callTool('wasm-conformance', 'crash'));
        expect(error.code).toBe('CRASHED');
        expect(error.message).toMatch(crashMessage);
        expect(seen.crashes.at(-1)).toEqual({
          plugin: 'wasm-conformance',
          exit: { reason: 'crash', message: expect.stringContaining('conformance crash requested') },
          crashes: attempt,
          restartInMs: 50 * 2 ** (attempt - 1),
        });
        expect(await restarted).toEqual([{ plugin: 'wasm-conformance', attempt }]);
        expect(resultValue(await crashy.callTool('wasm-conformance', 'echo', { attempt }))).toEqual({ attempt });
      }
      expect((await rejectionOf(crashy.callTool('wasm-conformance', 'crash'))).code).toBe('CRASHED');
      expect(seen.crashes.at(-1)).toEqual({ plugin: 'wasm-conformance', exit: expect.objectContaining({ reason: 'crash' }), crashes: 3 });
      expect(crashy.get('wasm-conformance')?.state).toBe('failed');
      expect(crashy.get('wasm-conformance')?.error?.message).toMatch(/^plugin "wasm-conformance" crashed: 3 crashes within 60000 ms, giving up \(last: .*conformance crash requested/);
      expect(errors).toEqual([expect.stringMatching(/^restart: .*3 crashes within 60000 ms, giving up/)]);
      expect(seen.restarts.map((r) => r.attempt)).toEqual([1, 2]);
      expect((await rejectionOf(crashy.callTool('wasm-conformance', 'echo', {}))).code).toBe('NOT_ACTIVE');
    } finally {
      await crashy.close();
    }
    expect(own.threadIds()).toEqual([]);
  });
});

describe('output', () => {
  test('output above the driver maxOutputBytes rejects with OUTPUT_TOO_LARGE and the plugin keeps answering', async () => {
    const small = createHost({ drivers: [createWasmDriver({ maxOutputBytes: MIB })], hostVersion: '1.0.0', dataDir: path.join(work.dir, 'small-data') });
    try {
      await small.load(hostileDir);
      const error = await rejectionOf(small.callTool('wasm-hostile', 'huge_output', { mib: 2 }));
      expect(error).toMatchObject({ code: 'OUTPUT_TOO_LARGE', plugin: 'wasm-hostile', tool: 'huge_output', driver: 'wasm', data: { limitBytes: MIB, bytes: 2 * MIB + 2 } });
      expect(error.message).toBe(`plugin "wasm-hostile", tool "huge_output" output exceeds ${MIB} bytes`);
      expect(resultValue(await small.callTool('wasm-hostile', 'huge_output', { mib: 0 }))).toBe('');
      expect(await small.callTool('wasm-hostile', 'tool_error')).toMatchObject({ isError: true });
    } finally {
      await small.close();
    }
  });

  test.each([
    ['bad_json', 'the output is not JSON: "this is {not json"'],
    ['bad_utf8', 'the output is not valid UTF-8'],
    ['no_output', 'the tool returned without setting any output'],
  ])('output of %s rejects with INVALID_OUTPUT naming the plugin and the tool', async (tool, detail) => {
    const error = await rejectionOf(call('wasm-hostile', tool));
    expect(error).toMatchObject({ code: 'INVALID_OUTPUT', plugin: 'wasm-hostile', tool, driver: 'wasm' });
    expect(error.message).toBe(`plugin "wasm-hostile", tool "${tool}" returned invalid output: ${detail}`);
    expect(events.crashes).toEqual([]);
    expect(await value('wasm-hostile', 'env_count')).toEqual({ errno: 0, count: 0 });
  });

  test("a plugin-reported error resolves to an isError result with the plugin's message", async () => {
    expect(await call('wasm-hostile', 'tool_error')).toEqual({ content: [{ type: 'text', text: 'hostile tool says no' }], isError: true });
  });
});

describe('loading', () => {
  test('a manifest tool with no matching export fails the load with LOAD_FAILED listing every missing export', async () => {
    const dir = path.join(work.dir, 'plugins', 'wasm-missing-exports');
    mkdirSync(path.join(dir, 'dist'), { recursive: true });
    writeFileSync(path.join(dir, 'dist', 'plugin.wasm'), readFileSync(path.join(exampleDir('wasm-conformance'), 'dist', 'plugin.wasm')));
    writeFileSync(
      path.join(dir, 'plugin.json5'),
      `{
        name: 'wasm-missing-exports', version: '1.0.0', description: 'declares tools its module lacks', author: 'e2e',
        runtime: 'wasm', entry: './dist/plugin.wasm',
        tools: [
          { name: 'echo', description: 'exported' },
          { name: 'translate', description: 'not exported' },
          { name: 'summarize', description: 'not exported either' },
        ],
      }`,
    );
    const error = await rejectionOf(host.load(dir));
    expect(error).toMatchObject({ code: 'LOAD_FAILED', plugin: 'wasm-missing-exports', driver: 'wasm', data: { missing: ['translate', 'summarize'] } });
    expect(error.message).toBe(
      `plugin "wasm-missing-exports" failed to load: ./dist/plugin.wasm does not export "translate", "summarize", declared in ${path.join(dir, 'plugin.json5')}`,
    );
    expect(host.get('wasm-missing-exports')).toMatchObject({ state: 'failed', error });
    expect(await echo({ still: 'serving' })).toEqual({ still: 'serving' });
    await host.unload('wasm-missing-exports');
  });

  test('inspect shows every permission enforced by @clawdesk/sandbox-wasm, each plugin has its own data dir, and loading warned about nothing', () => {
    expect(loadLogs.filter((l) => l.level !== 'debug')).toEqual([]);
    for (const name of ['wasm-hostile', 'wasm-conformance', 'weather-wasm']) {
      const inspection = host.inspect(name);
      expect(inspection).toMatchObject({ driver: '@clawdesk/sandbox-wasm', dataDir: path.join(dataDir, name), unsupported: [] });
      expect(inspection.entry).toMatchObject({ name, state: 'active', driver: 'wasm' });
      expect(inspection.enforcement).toEqual({ network: 'enforced', fsRead: 'enforced', fsWrite: 'enforced', env: 'enforced', memory: 'enforced', timeout: 'enforced' });
      expect(existsSync(inspection.dataDir)).toBe(true);
    }
  });
});

describe('network', () => {
  test('HTTP to a host in network.allowedHosts reaches it and returns status and body', async () => {
    expect(await value('wasm-hostile', 'http_get', { url: `http://127.0.0.1:${server.port}/ping` })).toEqual({ status: 200, body: 'pong /ping' });
    expect(server.requests.map((r) => `${r.host} ${r.url}`)).toEqual([`127.0.0.1:${server.port} /ping`]);
  });

  test('HTTP to a host outside network.allowedHosts fails inside the plugin, is logged as a warning, never leaves the machine, and the host is unharmed', async () => {
    expect(await value('wasm-hostile', 'http_get', { url: `http://localhost:${server.port}/steal` })).toEqual({ status: 0, body: '' });
    expect(await value('wasm-hostile', 'http_get', { url: 'http://evil.example/steal' })).toEqual({ status: 0, body: '' });
    expect(server.requests).toEqual([]);
    expect(events.logs.filter((l) => l.level === 'warn')).toEqual([
      { level: 'warn', plugin: 'wasm-hostile', message: `blocked HTTP request to localhost:${server.port}: not in permissions.network.allowedHosts` },
      { level: 'warn', plugin: 'wasm-hostile', message: 'blocked HTTP request to evil.example: not in permissions.network.allowedHosts' },
    ]);
    expect(events.crashes).toEqual([]);
    expect(await value('wasm-hostile', 'http_get', { url: `http://127.0.0.1:${server.port}/after` })).toEqual({ status: 200, body: 'pong /after' });
  });

  test('a host:port entry allows HTTP to that port only, the same rule browser_download applies', async () => {
    const hostile = await loadManifest(hostileDir);
    await host.load({ ...hostile, name: 'hostile-port', permissions: { ...hostile.permissions, network: { allowedHosts: [`127.0.0.1:${server.port}`] } } });
    try {
      expect(await value('hostile-port', 'http_get', { url: `http://127.0.0.1:${server.port}/port` })).toEqual({ status: 200, body: 'pong /port' });
      expect(await value('hostile-port', 'http_get', { url: `http://127.0.0.1:${server.port + 1}/other-port` })).toEqual({ status: 0, body: '' });
      expect(server.requests.map((r) => r.url)).toEqual(['/port']);
    } finally {
      await host.unload('hostile-port');
    }
  });

  test('a redirect from an allowed host to a host outside allowedHosts is not followed', async () => {
    expect(await value('wasm-hostile', 'http_get', { url: `http://127.0.0.1:${server.port}/redirect` })).toEqual({ status: 0, body: '' });
    expect(server.requests.map((r) => r.url)).toEqual(['/redirect']);
  });
});

describe('files and environment', () => {
  type Probe = { dir: string; errno: number; text?: string };
  const probe = async (args: Record<string, unknown>): Promise<Probe[]> =>
    ((await value('wasm-hostile', 'fs_probe', args)).preopens as (Probe & { fd: number })[]).map(({ fd: _fd, ...rest }) => rest);

  test('fs.read dirs under the plugin dir are readable only, fs.write dirs are writable, and nothing else is reachable', async () => {
    expect(await probe({ path: 'hello.txt' })).toEqual([
      { dir: '/data', errno: 0, text: 'hello from the data dir\n' },
      { dir: '/scratch', errno: WASI_ENOENT },
    ]);
    expect(await probe({ path: 'note.txt', write: true, text: 'written through the host' })).toEqual([
      { dir: '/data', errno: WASI_ENOTCAPABLE },
      { dir: '/scratch', errno: 0 },
    ]);
    expect(readFileSync(path.join(hostileDir, 'scratch', 'note.txt'), 'utf8')).toBe('written through the host');
    expect(existsSync(path.join(hostileDir, 'data', 'note.txt'))).toBe(false);
    expect(await value('wasm-hostile', 'fs_unlink', { path: 'hello.txt' })).toEqual({ errnos: [WASI_ENOTCAPABLE, WASI_ENOENT] });
    expect(existsSync(path.join(hostileDir, 'data', 'hello.txt'))).toBe(true);
    for (const escape of ['../plugin.json5', '/etc/passwd', '../../../../../../etc/passwd', `../../../data/wasm-hostile`]) {
      for (const p of await probe({ path: escape })) expect({ escape, dir: p.dir, opened: p.errno === 0 }).toEqual({ escape, dir: p.dir, opened: false });
    }
  });

  test("the plugin sees no environment variable, although the host's environment holds a secret", async () => {
    expect(process.env[SECRET]).toBe('hunter2');
    expect(await value('wasm-hostile', 'env_count')).toEqual({ errno: 0, count: 0 });
  });
});

describe('host functions', () => {
  test("the host's config option reaches the plugin through config_get, and the plugin's log lines become host log events", async () => {
    const forecast = await value('weather-wasm', 'forecast', { city: 'Paris', days: 2 });
    expect(forecast).toMatchObject({ city: 'Paris', units: 'imperial' });
    expect(forecast.days).toHaveLength(2);
    expect(events.logs).toEqual([{ level: 'info', plugin: 'weather-wasm', message: 'forecast for Paris over 2 days' }]);
    // Extism's own config sees the same values, non-strings as JSON text.
    expect(await value('wasm-hostile', 'extism_config', { key: 'region' })).toEqual({ value: 'eu' });
    expect(await value('wasm-hostile', 'extism_config', { key: 'limits' })).toEqual({ value: '{"rpm":60}' });
    expect(await value('wasm-hostile', 'extism_config', { key: 'units' })).toEqual({ value: null });
  });

  test('host.dispatch delivers {hook, payload} to on_hook and returns what the plugin answered', async () => {
    const payload = { message: 'héllo', n: [1, 2, 3] };
    expect(await host.dispatch('on_test', payload)).toEqual([{ plugin: 'wasm-conformance', ok: true, value: { got: payload } }]);
    expect(await host.dispatch('on_nothing', payload)).toEqual([]);
  });

  test("browser_download fetches through the host with the download rule's referer, into the plugin's data dir", async () => {
    const url = `http://127.0.0.1:${server.port}/radar.png`;
    const result = await call('weather-wasm', 'radar', { url });
    expect(result.isError).toBeUndefined();
    const sha256 = createHash('sha256').update(RADAR).digest('hex');
    const downloaded = resultValue(result);
    expect(downloaded).toEqual({ path: path.join(dataDir, 'weather-wasm', 'downloads', `${sha256}.png`), bytes: RADAR.length, sha256, contentType: 'image/png' });
    expect(readFileSync((downloaded as { path: string }).path)).toEqual(RADAR);
    expect(server.requests).toEqual([{ url: '/radar.png', host: `127.0.0.1:${server.port}`, referer: REFERER }]);
  });

  test('browser_download to a host:port outside network.allowedHosts reaches the plugin as its own error, and nothing is fetched', async () => {
    const url = `http://127.0.0.1:${stranger.port}/radar.png`;
    expect(await call('weather-wasm', 'radar', { url })).toEqual({
      content: [
        {
          type: 'text',
          text: `radar download failed: plugin "weather-wasm" permission denied: host "127.0.0.1:${stranger.port}" is not in permissions.network.allowedHosts (127.0.0.1:${server.port})`,
        },
      ],
      isError: true,
    });
    expect(stranger.requests).toEqual([]);
    expect(events.crashes).toEqual([]);
    expect(await value('weather-wasm', 'forecast', { city: 'Lima', days: 1 })).toMatchObject({ city: 'Lima' });
  });
});
