import type { PluginModule } from '@clawdesk/sandbox';
import type { LogEvent } from '../src/index.js';
import { manifest, withHost } from './helpers.js';

// Libraries never write to the console. ajv's default logger does (`unknown format "uri" ignored`),
// so the host hands it the plugin's logger instead.

const METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

async function consoleCallsDuring(fn: () => Promise<void>): Promise<unknown[][]> {
  const calls: unknown[][] = [];
  const saved = METHODS.map((m) => console[m]);
  for (const m of METHODS) console[m] = (...a: unknown[]) => void calls.push([m, ...a]);
  try {
    await fn();
  } finally {
    METHODS.forEach((m, i) => (console[m] = saved[i] as (typeof console)[typeof m]));
  }
  return calls;
}

const inputSchema = {
  type: 'object',
  properties: { home: { type: 'string', format: 'uri' }, odd: { type: 'string', format: 'weird' }, when: { type: 'string', format: 'date-time' } },
};

test('tools whose inputSchema uses formats ajv does not know load and validate without touching the console; the note goes to the log', async () => {
  const formats = (): PluginModule => ({ tools: { go: { description: 'go', inputSchema, run: (args) => args } } });
  const logs: LogEvent[] = [];
  const calls = await consoleCallsDuring(() =>
    withHost({ modules: { formats } }, async ({ host }) => {
      host.on('log', (e) => logs.push(e));
      await host.load(manifest('formats'));
      const result = await host.callTool('formats', 'go', { home: 'https://example.com', odd: 'x', when: 'now' });
      expect(result.isError).not.toBe(true);
    }),
  );
  expect(calls).toEqual([]);
  expect(logs).toContainEqual(expect.objectContaining({ level: 'debug', plugin: 'formats', message: expect.stringContaining('unknown format "uri" ignored') }));
});
