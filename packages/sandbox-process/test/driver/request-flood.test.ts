import { MAX_WRITE_BACKLOG_BYTES } from '../../src/session.js';
import { echoManifest, eventually, fixtureManifest, opts, settle, start } from '../support/plugins.js';

const MIB = 2 ** 20;

describe('a plugin that floods requests and never reads its stdin', () => {
  test("stops being read once 4 MiB of replies wait for it: the host's queue and memory stay bounded, the host keeps serving another plugin, and dispose still stops it", async () => {
    const flood = await start(fixtureManifest('request-flood'));
    const echo = await start(await echoManifest());
    const rssBefore = process.memoryUsage().rss;
    const abort = new AbortController();
    try {
      const call = settle(flood.instance.callTool('flood', {}, opts(120_000, abort.signal)));
      expect(await eventually(() => flood.instance.backlog?.throttled === true, 20_000)).toBe(true);
      // It keeps writing; the host has stopped reading, so nothing more arrives to answer.
      const first = flood.instance.backlog!;
      for (let i = 0; i < 5; i++) expect((await echo.instance.callTool('echo', { value: i }, opts())).structuredContent).toEqual({ value: i });
      const later = flood.instance.backlog!;
      expect(later.throttled).toBe(true);
      expect(later.messages).toBe(first.messages);
      // Bounded by the cap plus one read chunk's answers, and each reply short: the 4 000-character method name is not echoed.
      expect(later.bytes).toBeLessThan(MAX_WRITE_BACKLOG_BYTES + MIB);
      expect(later.bytes / later.messages).toBeLessThan(300);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * MIB);
      expect(flood.ctx.logger.entries.map((e) => e.message)).toContain('plugin is not reading its stdin; the host stops reading its stdout until it does');
      abort.abort();
      expect((await call) as { ok: boolean; error: any }).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    } finally {
      await flood.close();
      await echo.close();
    }
  });
});
