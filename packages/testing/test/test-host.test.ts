import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '@clawdesk/manifest';
import { createTestHost, DriverNotInstalledError, ToolErrorResult, type TestHost } from '../src/index.js';
import { driverFor } from '../src/drivers.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));
const example = (name: string) => path.join(EXAMPLES, name);

let tmp: string;
let workDir: string;
const open: TestHost[] = [];
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'clawdesk-testing-'));
  const local = fileURLToPath(new URL('../.tmp', import.meta.url));
  await mkdir(local, { recursive: true });
  workDir = await mkdtemp(path.join(local, 'test-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
});
const testHost = async (...args: Parameters<typeof createTestHost>) => {
  const t = await createTestHost(...args);
  open.push(t);
  return t;
};

/** A native plugin written into the temp dir: `files` beside a manifest with `extra` fields. */
async function nativePlugin(name: string, code: string, extra = ''): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  await writeFile(path.join(dir, 'index.js'), code);
  await writeFile(
    path.join(dir, 'plugin.json5'),
    `{ name: '${name}', version: '1.0.0', description: 'fixture', author: 't', sandbox: 'native', runtime: 'node', entry: './index.js', ${extra} }\n`,
  );
  return dir;
}

describe('createTestHost', () => {
  test('runs a native plugin in process: tools answer, hooks answer, the driver is the native one', async () => {
    const t = await testHost(example('native-echo'));
    expect(t.name).toBe('native-echo');
    expect(t.host.inspect(t.name).driver).toBe('@clawdesk/host');
    expect(await t.callValue('echo', { a: [1, 'é'] })).toEqual({ a: [1, 'é'] });
    expect(await t.dispatch('on_test', { n: 1 })).toEqual({ got: { n: 1 } });
  });

  test('runs a TypeScript process plugin in a child process under the process driver, with its logs captured', async () => {
    const t = await testHost(example('process-greeter'));
    expect(t.host.inspect(t.name).driver).toBe('@clawdesk/sandbox-process');
    expect(await t.callValue('greet', { name: 'Ada' })).toEqual({ greeting: 'Good day, Ada.' });
    expect(t.logs).toContainEqual(expect.objectContaining({ level: 'info', message: 'greeting', plugin: 'process-greeter' }));
  });

  test('runs a wasm plugin under the wasm driver, with the given config', async () => {
    const t = await testHost(example('weather-wasm'), { config: { units: 'imperial' } });
    expect(t.host.inspect(t.name).driver).toBe('@clawdesk/sandbox-wasm');
    expect(await t.callValue('forecast', { city: 'Oslo', days: 1 })).toMatchObject({ city: 'Oslo', units: 'imperial' });
    expect(t.logs.map((l) => l.message)).toContain('forecast for Oslo over 1 days');
  });

  test("applies the host's policies: arguments that break the schema are refused before the plugin runs", async () => {
    const t = await testHost(example('weather-wasm'));
    await expect(t.call('forecast', { days: 2 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENTS', tool: 'forecast' });
  });

  test('callValue rejects with ToolErrorResult when the tool answers isError; call returns that result', async () => {
    const t = await testHost(example('weather-wasm'));
    expect(await t.call('forecast', { city: 'Oslo', days: 8 }).catch((e: Error) => e)).toMatchObject({ code: 'INVALID_ARGUMENTS' });
    const dir = await nativePlugin('fails', `export default { tools: { nope: { description: 'fails', run: () => { throw new Error('no luck'); } } } };\n`, `tools: [{ name: 'nope', description: 'fails' }]`);
    const f = await testHost(dir);
    expect(await f.call('nope')).toMatchObject({ isError: true });
    const error = await f.callValue('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolErrorResult);
    expect(error).toMatchObject({ code: 'TOOL_ERROR', message: expect.stringContaining('no luck') });
  });

  test('transform passes a message through the message_transform hook, and surfaces a failing one', async () => {
    const dir = await nativePlugin(
      'shout',
      `export default { tools: {}, hooks: { message_transform: (m) => { if (m.text === 'boom') throw new Error('cannot shout that'); return { ...m, text: m.text.toUpperCase() }; } } };\n`,
      `capabilities: ['message_transform'], hooks: ['message_transform']`,
    );
    const t = await testHost(dir);
    expect(await t.transform({ text: 'hi', from: 'ada' })).toEqual({ text: 'HI', from: 'ada' });
    await expect(t.transform({ text: 'boom' })).rejects.toThrow('cannot shout that');
  });

  test('reload picks up an edited process plugin', async () => {
    // Inside the package, so the child resolves @clawdesk/plugin-sdk like a real plugin project does.
    const dir = path.join(workDir, 'versioned');
    await mkdir(dir, { recursive: true });
    const code = (answer: string) => `import { serve } from '@clawdesk/plugin-sdk/serve';\nserve({ name: 'versioned', tools: { hi: { description: 'hi', run: () => '${answer}' } } });\n`;
    await writeFile(path.join(dir, 'index.mjs'), code('v1'));
    await writeFile(
      path.join(dir, 'plugin.json5'),
      `{ name: 'versioned', version: '1.0.0', description: 'fixture', author: 't', sandbox: 'process', runtime: 'node', entry: './index.mjs', tools: [{ name: 'hi', description: 'hi' }] }\n`,
    );
    const t = await testHost(dir);
    expect(await t.callValue('hi')).toBe('v1');
    await writeFile(path.join(dir, 'index.mjs'), code('v2'));
    await t.reload();
    expect(await t.callValue('hi')).toBe('v2');
  });

  test('a plugin that fails to load rejects with its load error and leaves nothing running', async () => {
    const dir = await nativePlugin('broken', `export default { tools: { x: { description: 'x', run: () => 1 } } };\nthrow new Error('broken at import');\n`, `tools: [{ name: 'x', description: 'x' }]`);
    await expect(createTestHost(dir)).rejects.toThrow('broken at import');
  });

  test('an invalid manifest rejects with MANIFEST_INVALID naming the field', async () => {
    const dir = path.join(tmp, 'invalid');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'plugin.json5'), `{ name: 'invalid', version: 'one' }`);
    await expect(createTestHost(dir)).rejects.toMatchObject({ code: 'MANIFEST_INVALID', problems: expect.arrayContaining([expect.objectContaining({ path: 'version' })]) });
  });

  test('after close, calls are refused with CLOSED and close can be called again', async () => {
    const t = await createTestHost(example('native-echo'));
    await t.close();
    await t.close();
    await expect(t.call('echo')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  test('works with `await using`', async () => {
    let host: TestHost | undefined;
    {
      await using t = await createTestHost(example('native-echo'));
      host = t;
      expect(await t.callValue('echo', { x: 1 })).toEqual({ x: 1 });
    }
    await expect(host.call('echo')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('driverFor', () => {
  test('names the package to install when the driver a plugin needs is missing', async () => {
    const manifest = await loadManifest(example('weather-wasm'));
    const missing = Object.assign(new Error("Cannot find package '@clawdesk/sandbox-wasm' imported from /x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = await driverFor(manifest, () => Promise.reject(missing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriverNotInstalledError);
    expect(error).toMatchObject({
      code: 'DRIVER_NOT_INSTALLED',
      data: { plugin: 'weather-wasm', sandbox: 'wasm', package: '@clawdesk/sandbox-wasm' },
      message: expect.stringContaining('npm install --save-dev @clawdesk/sandbox-wasm'),
    });
  });

  test('an error inside an installed driver is not mistaken for a missing one', async () => {
    const manifest = await loadManifest(example('weather-wasm'));
    const inner = Object.assign(new Error("Cannot find package 'left-pad' imported from sandbox-wasm"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(driverFor(manifest, () => Promise.reject(inner))).rejects.toBe(inner);
  });
});
