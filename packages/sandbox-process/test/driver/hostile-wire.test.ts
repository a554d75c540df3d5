import { MAX_TOOLS } from '../../src/handshake.js';
import { MAX_MESSAGE_DEPTH } from '../../src/jsonrpc/line-reader.js';
import { eventually, fixtureManifest, opts, settle, start } from '../support/plugins.js';

const DROPPED = 'plugin logged faster than the host accepts; lines dropped';

/** Lines that reached the logger plus lines reported dropped. */
function accounted(entries: readonly { message: string; fields?: Record<string, unknown> }[], line: string | ((m: string) => boolean)): number {
  const matches = typeof line === 'string' ? (m: string) => m === line : line;
  const passed = entries.filter((e) => matches(e.message)).length;
  const dropped = entries.filter((e) => e.message === DROPPED).reduce((sum, e) => sum + Number(e.fields?.dropped), 0);
  return passed + dropped;
}

// What a plugin writes must never throw inside the host's stream listeners (an uncaught exception
// would take the whole host down) nor leave a call waiting for its timeout when the answer is unusable.
describe('hostile messages on the wire', () => {
  test('a response nested 200 000 levels deep fails its call at once with INVALID_OUTPUT, and the plugin keeps serving', async () => {
    const { instance, close } = await start(fixtureManifest('hostile-wire'));
    try {
      const began = performance.now();
      const outcome = await settle(instance.callTool('deep-result', {}, opts(20_000)));
      expect(performance.now() - began).toBeLessThan(10_000);
      expect(outcome).toMatchObject({
        ok: false,
        error: {
          code: 'INVALID_OUTPUT',
          message: `plugin "hostile-wire", tool "deep-result" returned invalid output: its response was not usable: nested deeper than ${MAX_MESSAGE_DEPTH} levels`,
        },
      });
      expect(await instance.callTool('ok', {}, opts())).toEqual({ content: [{ type: 'text', text: 'ok' }] });
    } finally {
      await close();
    }
  });

  test('a result nested 500 levels deep still arrives whole and can be serialized', async () => {
    const { instance, close } = await start(fixtureManifest('hostile-wire'));
    try {
      const result = await instance.callTool('nested-500', {}, opts());
      expect(JSON.stringify(result.structuredContent)).toBe(`{"a":${'['.repeat(500)}${']'.repeat(500)}}`);
    } finally {
      await close();
    }
  });

  test('log notifications nested 200 000 levels deep are skipped with a warning instead of crashing the host', async () => {
    const { instance, ctx, close } = await start(fixtureManifest('hostile-wire'));
    try {
      expect(await instance.callTool('deep-log', {}, opts())).toEqual({ content: [{ type: 'text', text: 'ok' }] });
      const skipped = ctx.logger.entries.filter((e) => e.fields?.reason === `nested deeper than ${MAX_MESSAGE_DEPTH} levels`);
      expect(skipped).toHaveLength(2);
      expect(skipped[0]).toMatchObject({ level: 'warn', message: 'plugin wrote a non-protocol line to stdout; skipped (write logs to stderr)' });
    } finally {
      await close();
    }
  });

  test('log messages whose toString is not callable are logged as JSON instead of crashing the host', async () => {
    const { instance, ctx, close } = await start(fixtureManifest('hostile-wire'));
    try {
      expect(await instance.callTool('tostring-log', {}, opts())).toEqual({ content: [{ type: 'text', text: 'ok' }] });
      expect(ctx.logger.entries).toContainEqual({ level: 'warn', message: '{"toString":1}' });
      expect(ctx.logger.entries).toContainEqual({ level: 'info', message: '{"toString":1,"valueOf":2}' });
    } finally {
      await close();
    }
  });

  test('a 1 MiB log message is cut to 16 KiB and 1 MiB of log fields are replaced by a note of their size', async () => {
    const { instance, ctx, close } = await start(fixtureManifest('hostile-wire'));
    try {
      expect(await instance.callTool('huge-log', {}, opts())).toEqual({ content: [{ type: 'text', text: 'ok' }] });
      const entry = ctx.logger.entries.find((e) => e.message.startsWith('mmm'));
      expect(entry?.message).toBe(`${'m'.repeat(16 * 1024)}… (${(1 << 20) - 16 * 1024} more characters)`);
      expect(entry?.fields).toEqual({ fieldsOmitted: `${(1 << 20) + 11} characters of log fields, over the 16384 limit` });
    } finally {
      await close();
    }
  });

  test('an error response with a malformed error object fails its call at once with INVALID_OUTPUT instead of waiting for the timeout', async () => {
    const { instance, close } = await start(fixtureManifest('hostile-wire'));
    try {
      const began = performance.now();
      const outcome = await settle(instance.callTool('bad-error', {}, opts(20_000)));
      expect(performance.now() - began).toBeLessThan(10_000);
      expect(outcome).toMatchObject({
        ok: false,
        error: {
          code: 'INVALID_OUTPUT',
          message:
            'plugin "hostile-wire", tool "bad-error" returned invalid output: its response was not usable: not a JSON-RPC 2.0 message: error must have a numeric "code" and a string "message"',
        },
      });
      expect(await instance.callTool('ok', {}, opts())).toEqual({ content: [{ type: 'text', text: 'ok' }] });
    } finally {
      await close();
    }
  });
});

describe('log floods', () => {
  test('200 000 stderr lines in a burst reach the host logger only up to maxLogLinesPerSecond, and the drop is reported', async () => {
    const { instance, ctx, close } = await start(fixtureManifest('hostile-wire'), { driver: { maxLogLinesPerSecond: 100 } });
    try {
      const began = performance.now();
      expect(await instance.callTool('stderr-flood', { blocks: 200 }, opts(30_000))).toEqual({ content: [{ type: 'text', text: 'ok' }] });
      const seconds = (performance.now() - began) / 1000;
      const lines = ctx.logger.entries.filter((e) => e.message === 'a stderr line');
      // The first second's budget, plus what refilled while the burst was read.
      expect(lines.length).toBeGreaterThanOrEqual(100);
      expect(lines.length).toBeLessThanOrEqual(100 + Math.ceil(seconds * 100) + 1);
    } finally {
      await close();
    }
    // Every line is either logged or counted in a drop report, once stderr has been read to its end.
    expect(await eventually(() => accounted(ctx.logger.entries, 'a stderr line') === 200_000)).toBe(true);
    expect(ctx.logger.entries.find((e) => e.message === DROPPED)).toMatchObject({ level: 'warn', fields: { maxLogLinesPerSecond: 100 } });
  });

  test('host/log notifications share the same budget', async () => {
    const { instance, ctx, close } = await start(fixtureManifest('hostile-wire'), { driver: { maxLogLinesPerSecond: 50 } });
    try {
      expect(await instance.callTool('log-flood', { lines: 20_000 }, opts(30_000))).toEqual({ content: [{ type: 'text', text: 'ok' }] });
    } finally {
      await close();
    }
    expect(ctx.logger.entries.filter((e) => e.message.startsWith('line ')).length).toBeLessThan(2_000);
    expect(await eventually(() => accounted(ctx.logger.entries, (m) => m.startsWith('line ')) === 20_000)).toBe(true);
  });
});

describe('tools/list', () => {
  test('a plugin offering two tools with the same name fails the load, naming the tool', async () => {
    const outcome = await settle(start(fixtureManifest('duplicate-tools')));
    expect(outcome).toMatchObject({
      ok: false,
      error: {
        code: 'LOAD_FAILED',
        message: 'plugin "duplicate-tools" failed to load: "tools/list" offered more than one tool named "search"',
        data: { tool: 'search' },
      },
    });
  });

  test('a plugin offering more than MAX_TOOLS tools fails the load instead of making the host compile them all', async () => {
    const outcome = await settle(start(fixtureManifest('duplicate-tools'), { ctx: { config: { many: MAX_TOOLS + 1 } } }));
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'LOAD_FAILED', message: `plugin "duplicate-tools" failed to load: "tools/list" offered more than ${MAX_TOOLS} tools`, data: { maxTools: MAX_TOOLS } },
    });
    const { instance, close } = await start(fixtureManifest('duplicate-tools'), { ctx: { config: { many: MAX_TOOLS } } });
    try {
      expect((await instance.describe()).tools).toHaveLength(MAX_TOOLS);
    } finally {
      await close();
    }
  });
});
