import { rmSync } from 'node:fs';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { rejection, withHost, writeTree } from './helpers.js';

// The host tells the process driver of a cancelled or timed-out call through its options' CALL_ABORT
// hook, not an AbortSignal: the plugin must still hear of it (notifications/cancelled) either way.

/** An MCP server whose `wait` answers only when cancelled; `cancels` lists the cancellations it received. */
const waiter = () =>
  writeTree({
    'plugin.json5': "{ name: 'waiter', version: '1.0.0', runtime: 'node', entry: './index.mjs', timeoutMs: 5000, tools: [{ name: 'wait', description: 'w' }, { name: 'cancels', description: 'c' }] }",
    'index.mjs': [
      "import readline from 'node:readline';",
      'const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\\n");',
      'const cancels = [];',
      'readline.createInterface({ input: process.stdin }).on("line", (line) => {',
      '  const m = JSON.parse(line);',
      '  if (m.method === "notifications/cancelled") {',
      '    cancels.push(m.params.reason);',
      '    return send({ id: m.params.requestId, error: { code: -32800, message: "Request cancelled" } });',
      '  }',
      '  if (m.id === undefined) return;',
      '  if (m.method === "initialize") send({ id: m.id, result: { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "waiter", version: "1.0.0" } } });',
      '  else if (m.method === "tools/list") send({ id: m.id, result: { tools: [{ name: "wait", inputSchema: { type: "object" } }, { name: "cancels", inputSchema: { type: "object" } }] } });',
      '  else if (m.params.name === "cancels") send({ id: m.id, result: { content: [{ type: "text", text: JSON.stringify(cancels) }] } });',
      '});',
      '',
    ].join('\n'),
  });

describe('cancellation through the host reaches a process plugin', () => {
  test("a caller's abort and the host's timeout each reject the call and send the plugin notifications/cancelled", async () => {
    const dir = waiter();
    try {
      await withHost({ drivers: [createProcessDriver({ isolation: 'off' })] }, async ({ host }) => {
        await host.load(dir);
        const controller = new AbortController();
        const aborted = host.callTool('waiter', 'wait', {}, { signal: controller.signal });
        setTimeout(() => controller.abort('changed my mind'), 100);
        expect(await rejection(aborted)).toMatchObject({ code: 'CANCELLED', plugin: 'waiter', tool: 'wait', driver: 'process' });
        expect(await rejection(host.callTool('waiter', 'wait', {}, { timeoutMs: 200 }))).toMatchObject({ code: 'TIMEOUT', plugin: 'waiter', tool: 'wait' });
        const [content] = (await host.callTool('waiter', 'cancels')).content;
        const heard = JSON.parse(content?.type === 'text' ? String(content.text) : 'null') as string[];
        expect(heard).toEqual(['cancelled by the host', 'tool "wait" timed out after 200 ms']);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
