// Hostile process plugins against @clawdesk/host: what they write must never take the host down,
// flood its log, or leave a call waiting past its timeout.
import path from 'node:path';
import { childProcessesMentioning, eventually, FIXTURES_DIR, fixture, isAlive, processHost, rejection } from './process-support.js';

const WIRE = 'hostile-wire';

afterAll(async () => {
  expect(await eventually(() => childProcessesMentioning(path.join(FIXTURES_DIR, WIRE)).length === 0, 8_000)).toBe(true);
});

describe('hostile messages through the host', () => {
  test('log notifications nested 200 000 levels deep, or with a toString that is not callable, are logged safely and the call answers', async () => {
    const t = processHost();
    try {
      await t.host.load(fixture(WIRE));
      expect(await t.host.call(`${WIRE}.deep-log`, {})).toEqual({ content: [{ type: 'text', text: 'ok' }] });
      expect(await t.host.call(`${WIRE}.tostring-log`, {})).toEqual({ content: [{ type: 'text', text: 'ok' }] });
      expect(t.events.logs).toContainEqual({ level: 'warn', plugin: WIRE, message: '{"toString":1}' });
      expect(t.host.get(WIRE)?.state).toBe('active');
    } finally {
      await t.close();
    }
  });

  test('a result nested 200 000 levels deep, which JSON.stringify could not serialize, rejects with INVALID_OUTPUT and the plugin keeps serving', async () => {
    const t = processHost();
    try {
      await t.host.load(fixture(WIRE));
      const error = await rejection(t.host.call(`${WIRE}.deep-result`, {}, { timeoutMs: 20_000 }));
      expect(error).toMatchObject({ code: 'INVALID_OUTPUT', plugin: WIRE, tool: 'deep-result' });
      expect(await t.host.call(`${WIRE}.ok`, {})).toEqual({ content: [{ type: 'text', text: 'ok' }] });
    } finally {
      await t.close();
    }
  });

  test("a stderr flood of 300 000 lines reaches the host's log events only up to maxLogLinesPerSecond", async () => {
    const t = processHost({ driver: { maxLogLinesPerSecond: 200 } });
    try {
      await t.host.load(fixture(WIRE));
      const began = performance.now();
      expect(await t.host.call(`${WIRE}.stderr-flood`, { blocks: 300 }, { timeoutMs: 30_000 })).toEqual({ content: [{ type: 'text', text: 'ok' }] });
      const seconds = (performance.now() - began) / 1000;
      const lines = t.events.logs.filter((e) => e.message === 'a stderr line').length;
      expect(lines).toBeLessThanOrEqual(200 + Math.ceil(seconds * 200) + 1);
      expect(t.events.logs.some((e) => e.level === 'warn' && e.message === 'plugin logged faster than the host accepts; lines dropped')).toBe(true);
    } finally {
      await t.close();
    }
  });

  test('a plugin that offers two tools with the same name fails to load instead of one silently shadowing the other', async () => {
    const t = processHost();
    try {
      const error = await rejection(t.host.load(fixture('duplicate-tools')));
      expect(error).toMatchObject({ code: 'LOAD_FAILED', message: 'plugin "duplicate-tools" failed to load: "tools/list" offered more than one tool named "search"' });
    } finally {
      await t.close();
    }
  });

  test('a plugin that closes its stdout but stays alive: the call times out on time, the next call gets a fresh process, and close() leaves nothing running', async () => {
    const t = processHost();
    let pid: number | undefined;
    try {
      await t.host.load(fixture(WIRE));
      pid = childProcessesMentioning(path.join(FIXTURES_DIR, WIRE))[0];
      const began = performance.now();
      const error = await rejection(t.host.call(`${WIRE}.close-stdout`, {}, { timeoutMs: 500 }));
      expect(error).toMatchObject({ code: 'TIMEOUT' });
      expect(performance.now() - began).toBeLessThan(5_000);
      expect(await t.host.call(`${WIRE}.ok`, {}, { timeoutMs: 10_000 })).toEqual({ content: [{ type: 'text', text: 'ok' }] });
    } finally {
      await t.close();
    }
    expect(pid).toBeDefined();
    expect(await eventually(() => !isAlive(pid!))).toBe(true);
  });
});
