import { createInMemoryDriver, resultValue, type SandboxInstance } from '@clawdesk/sandbox';
import { createTestContext, type TestContext } from '@clawdesk/sandbox/conformance';
import { z } from 'zod';
import { definePlugin, tool } from '../src/index.js';
import weather from './fixtures/weather-plugin.js';
import { nativeManifest } from './fixtures/manifest.js';

const opts = (timeoutMs = 5_000) => ({ signal: new AbortController().signal, timeoutMs });

describe('a plugin defined with the SDK, run by the in-memory (native) driver', () => {
  let ctx: TestContext;
  let instance: SandboxInstance;
  const manifest = nativeManifest('weather');

  beforeEach(async () => {
    ctx = createTestContext(manifest, {
      browserDownload: async (url) => ({ path: `${ctx.dataDir}/radar.png`, bytes: url.length, sha256: 'x', contentType: 'image/png' }),
    });
    instance = await createInMemoryDriver({ modules: { weather } }).instantiate(manifest, ctx);
  });
  afterEach(async () => {
    await instance.dispose();
    ctx.cleanup();
  });

  test('describe shows the tools with their generated inputSchema, and the hooks', async () => {
    expect(await instance.describe()).toEqual({
      tools: [
        {
          name: 'get_radar',
          description: 'Download the rain radar image for a region',
          inputSchema: {
            type: 'object',
            properties: {
              region: { type: 'string', enum: ['north', 'south'] },
              zoom: { type: 'integer', minimum: 1, maximum: 8, default: 4 },
            },
            required: ['region'],
          },
        },
      ],
      hooks: ['on_message'],
    });
  });

  test('a valid call runs with defaults applied, downloads through the host and logs through ctx.log', async () => {
    const result = await instance.callTool('get_radar', { region: 'north' }, opts());
    expect(result.isError).toBeUndefined();
    const url = 'https://radar.example.com/north/4.png';
    expect(resultValue(result)).toEqual({ path: `${ctx.dataDir}/radar.png`, bytes: url.length });
    expect(ctx.logger.entries).toEqual([{ level: 'info', message: 'fetching radar', fields: { tool: 'get_radar', region: 'north', zoom: 4 } }]);
  });

  test('invalid arguments come back as an error result that lists every failing path', async () => {
    const result = await instance.callTool('get_radar', { region: 'east', zoom: 9 }, opts());
    expect(result).toEqual({
      isError: true,
      content: [
        {
          type: 'text',
          text:
            'invalid arguments for tool "get_radar" of plugin "weather": region: Invalid option: expected one of "north"|"south"; ' +
            'zoom: Too big: expected number to be <=8',
        },
      ],
    });
  });

  test('a hook runs with its validated payload', async () => {
    await expect(instance.dispatch('on_message', { text: 'take a brolly' }, opts())).resolves.toEqual({ text: 'take a umbrella' });
  });

  test('ctx.signal is aborted when the call times out, so the tool can stop its work', async () => {
    const reasons: unknown[] = [];
    const slow = definePlugin({
      name: 'weather',
      tools: {
        slow: tool({
          description: 'Waits for its signal',
          input: z.object({}),
          run: (_args, c) => new Promise((resolve) => c.signal.addEventListener('abort', () => resolve(reasons.push(c.signal.reason)))),
        }),
      },
    });
    const i = await createInMemoryDriver({ modules: { weather: slow } }).instantiate(manifest, ctx);
    try {
      await expect(i.callTool('slow', {}, opts(50))).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(reasons).toEqual([expect.objectContaining({ code: 'TIMEOUT', tool: 'slow' })]);
    } finally {
      await i.dispose();
    }
  });
});
