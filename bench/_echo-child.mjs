// The process benches' baseline: the least a JSON-RPC-over-stdio call can cost here — a child that
// parses each line and answers with the same MCP-shaped result serve() sends, and a parent that writes
// a line and parses the answer. Shared by bench/process.mjs (one call at a time) and
// bench/process-pipelined.mjs (many in flight).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const ECHO_CHILD = `
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const { id, params } = JSON.parse(line);
  const args = params.arguments;
  process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: JSON.stringify(args) }], structuredContent: args } }) + '\\n');
});`;

export function rawEchoChild() {
  const child = spawn(process.execPath, ['-e', ECHO_CHILD], { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: process.env.PATH } });
  const waiting = new Map();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line);
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  });
  let id = 0;
  return {
    call: (args) =>
      new Promise((resolve) => {
        const n = ++id;
        waiting.set(n, resolve);
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: n, method: 'tools/call', params: { name: 'echo', arguments: args } })}\n`);
      }),
    close: async () => {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
