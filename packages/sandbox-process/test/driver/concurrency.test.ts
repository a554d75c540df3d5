import { resultValue } from '@clawdesk/sandbox';
import { echoManifest, opts, start, type Started } from '../support/plugins.js';

const PLUGINS = 20;
const CALLS = 1_000;

describe('many plugins, many calls', () => {
  test('1 000 concurrent calls spread over 20 plugins are each answered once, with their own result', async () => {
    const manifest = await echoManifest();
    const started: Started[] = [];
    try {
      started.push(...(await Promise.all(Array.from({ length: PLUGINS }, () => start(manifest)))));
      const calls = Array.from({ length: CALLS }, (_, i) => {
        const { instance } = started[i % PLUGINS]!;
        // Odd calls sleep a little so answers come back out of order.
        if (i % 2 === 1) return { expected: { slept: i % 40 }, promise: instance.callTool('sleep', { ms: i % 40 }, opts(30_000)) };
        const args = { call: i, plugin: i % PLUGINS, text: `é😀${'x'.repeat(i % 97)}` };
        return { expected: args, promise: instance.callTool('echo', args, opts(30_000)) };
      });
      let settledCount = 0;
      const results = await Promise.all(calls.map((c) => c.promise.finally(() => (settledCount += 1))));
      expect(settledCount).toBe(CALLS);
      results.forEach((result, i) => expect(resultValue(result)).toEqual(calls[i]!.expected));
      // The same plugins still answer afterwards: no request id was lost or reused.
      for (const { instance } of started) expect(resultValue(await instance.callTool('echo', { after: true }, opts()))).toEqual({ after: true });
    } finally {
      await Promise.all(started.map((s) => s.close()));
    }
  }, 60_000);
});
