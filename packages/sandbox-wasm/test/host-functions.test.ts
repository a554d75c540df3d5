import type { PluginManifest } from '@clawdesk/manifest';
import { createTestContext, type TestContext } from '@clawdesk/sandbox/conformance';
import { type DownloadResult, resultValue, type SandboxContext, type SandboxInstance } from '@clawdesk/sandbox';
import { createWasmDriver } from '../src/index.js';
import { callOpts, instanceTracker, loadExample, rejectionOf } from './helpers.js';

const instances = instanceTracker();
const contexts: TestContext[] = [];
let manifest: PluginManifest;

beforeAll(async () => {
  manifest = await loadExample('weather-wasm');
});
afterEach(async () => {
  await instances.disposeAll();
  for (const ctx of contexts.splice(0)) ctx.cleanup();
});

async function start(opts: { config?: Record<string, unknown>; browserDownload?: SandboxContext['browserDownload'] } = {}): Promise<{ instance: SandboxInstance; ctx: TestContext }> {
  const ctx = createTestContext(manifest, opts);
  contexts.push(ctx);
  return { instance: instances.track(await createWasmDriver().instantiate(manifest, ctx)), ctx };
}

const download: DownloadResult = { path: '/data/weather-wasm/downloads/radar.png', bytes: 2048, sha256: 'ab'.repeat(32), contentType: 'image/png' };

test('config values reach the plugin through config_get, and its log lines reach the host logger', async () => {
  const { instance, ctx } = await start({ config: { units: 'imperial', retries: 3 } });
  const forecast = resultValue(await instance.callTool('forecast', { city: 'Paris', days: 2 }, callOpts())) as { units: string; days: unknown[] };
  expect(forecast.units).toBe('imperial');
  expect(forecast.days).toHaveLength(2);
  expect(ctx.logger.entries).toEqual([{ level: 'info', message: 'forecast for Paris over 2 days' }]);
});

test('without config the plugin falls back to its default, and the same city gives the same forecast', async () => {
  const { instance } = await start();
  const first = resultValue(await instance.callTool('forecast', { city: 'Oslo' }, callOpts()));
  expect(first).toMatchObject({ city: 'Oslo', units: 'metric' });
  expect(resultValue(await instance.callTool('forecast', { city: 'Oslo' }, callOpts()))).toEqual(first);
});

test("a plugin's own validation failure is an isError result", async () => {
  const { instance } = await start();
  expect(await instance.callTool('forecast', { days: 3 }, callOpts())).toEqual({ content: [{ type: 'text', text: 'forecast needs a city' }], isError: true });
});

test('browser_download blocks the plugin while the host downloads, then hands it the DownloadResult', async () => {
  const urls: string[] = [];
  const { instance } = await start({
    browserDownload: async (url) => {
      urls.push(url);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return download;
    },
  });
  expect(resultValue(await instance.callTool('radar', { url: 'https://radar.example.com/now.png' }, callOpts()))).toEqual(download);
  expect(urls).toEqual(['https://radar.example.com/now.png']);
});

test("a failed browser_download reaches the plugin as an error, with the host's reason", async () => {
  const { instance } = await start({
    browserDownload: async (url) => {
      throw new Error(`host refused ${url}`);
    },
  });
  expect(await instance.callTool('radar', { url: 'https://evil.example/x.png' }, callOpts())).toEqual({
    content: [{ type: 'text', text: 'radar download failed: host refused https://evil.example/x.png' }],
    isError: true,
  });
});

test('a call timing out during browser_download aborts the download, and the plugin answers the next call', async () => {
  let aborted: unknown;
  const { instance } = await start({
    browserDownload: (_url, opts) =>
      new Promise<DownloadResult>((_resolve, reject) => {
        opts?.signal?.addEventListener('abort', () => {
          aborted = opts.signal?.reason;
          reject(opts.signal?.reason);
        });
      }),
  });
  const error = await rejectionOf(instance.callTool('radar', { url: 'https://radar.example.com/slow.png' }, callOpts(300)));
  expect(error.code).toBe('TIMEOUT');
  expect(aborted).toBe(error);
  expect(resultValue(await instance.callTool('forecast', { city: 'Rome', days: 1 }, callOpts()))).toMatchObject({ city: 'Rome' });
});

test('while one plugin waits on the host, other plugins keep answering', async () => {
  let release: (r: DownloadResult) => void = () => {};
  const { instance: waiting } = await start({ browserDownload: () => new Promise<DownloadResult>((resolve) => (release = resolve)) });
  const { instance: other } = await start();
  const pending = waiting.callTool('radar', { url: 'https://radar.example.com/a.png' }, callOpts());
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(resultValue(await other.callTool('forecast', { city: 'Lima', days: 1 }, callOpts()))).toMatchObject({ city: 'Lima' });
  release(download);
  expect(resultValue(await pending)).toEqual(download);
});
