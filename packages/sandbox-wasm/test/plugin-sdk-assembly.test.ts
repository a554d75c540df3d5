// The AssemblyScript side of @clawdesk/plugin-sdk, exercised through compiled example plugins.
import type { PluginManifest } from '@clawdesk/manifest';
import { bigPayload, createTestContext, ECHO_PAYLOADS, type TestContext } from '@clawdesk/sandbox/conformance';
import { resultValue, type SandboxInstance } from '@clawdesk/sandbox';
import { createWasmDriver } from '../src/index.js';
import { callOpts, loadExample } from './helpers.js';

let manifest: PluginManifest;
let ctx: TestContext;
let instance: SandboxInstance;

beforeAll(async () => {
  manifest = await loadExample('wasm-conformance');
  ctx = createTestContext(manifest);
  instance = await createWasmDriver().instantiate(manifest, ctx);
});
afterAll(async () => {
  await instance?.dispose();
  ctx?.cleanup();
});

test.each(ECHO_PAYLOADS.map((p) => [p.name, p.args] as const))("the SDK's JSON value parses and serializes %s without loss", async (_name, args) => {
  expect(resultValue(await instance.callTool('json_echo', args, callOpts()))).toEqual(args);
});

test("the SDK's JSON value round-trips about 1 MB", async () => {
  const args = bigPayload();
  expect(resultValue(await instance.callTool('json_echo', args, callOpts()))).toEqual(args);
});

test('the SDK serializes integers without a fraction and escapes control characters as JSON requires', async () => {
  const result = await instance.callTool('json_echo', { n: 3, big: 2 ** 53 - 1, f: 0.5, s: 'a\u0001"\\\n' }, callOpts());
  expect(result.content).toEqual([{ type: 'text', text: '{"n":3,"big":9007199254740991,"f":0.5,"s":"a\\u0001\\"\\\\\\n"}' }]);
});

test.each(['{', '[1,]', '{"a" 1}', '{"a":1,}', '01', '-', '1.', '.5', '1e', 'nulls', 'tru', '"\u0001"', '"\\x"', '"\\u12"', '"open', '[1] 2', ''])(
  "the SDK's JSON parser rejects %j",
  async (text) => {
    // Straight through Extism: the driver itself only ever sends valid JSON.
    const { default: createPlugin } = await import('@extism/extism');
    const plugin = await createPlugin({ wasm: [{ path: `${manifest.dir}/dist/plugin.wasm` }] }, { useWasi: true });
    try {
      await expect(plugin.call('json_echo', text)).rejects.toThrow('Plugin-originated error: arguments are not JSON');
    } finally {
      await plugin.close();
    }
  },
);
