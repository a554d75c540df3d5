// The process benches' baseline: the least a JSON-RPC-over-stdio call can cost here — a child that
// parses each line and answers with the same MCP-shaped result serve() sends, and a parent that writes
// a line and parses the answer. Shared by bench/process.mjs (one call at a time) and
// bench/process-pipelined.mjs (many in flight).
//
// `coalesce: true` makes both ends join the lines of one tick into one write, as the driver and
// serve() do; the plain form writes once per message. On a pipe a write (a syscall and a wake-up of
// the reader) costs more than the rest of a call, so the pipelined suite shows both baselines.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const echoChild = (coalesce) => `
const answer = (id, args) => JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: JSON.stringify(args) }], structuredContent: args } }) + '\\n';
${coalesce ? "let out = '';\nconst flush = () => { process.stdout.write(out); out = ''; };\nconst send = (line) => { if (out === '') process.nextTick(flush); out += line; };" : 'const send = (line) => process.stdout.write(line);'}
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, params } = JSON.parse(line);
  send(answer(id, params.arguments));
});`;

export function rawEchoChild({ coalesce = false } = {}) {
  const child = spawn(process.execPath, ['-e', echoChild(coalesce)], { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: process.env.PATH } });
  const waiting = new Map();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line);
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  });
  let out = '';
  const flush = () => {
    child.stdin.write(out);
    out = '';
  };
  const send = coalesce
    ? (line) => {
        if (out === '') process.nextTick(flush);
        out += line;
      }
    : (line) => child.stdin.write(line);
  let id = 0;
  return {
    call: (args) =>
      new Promise((resolve) => {
        const n = ++id;
        waiting.set(n, resolve);
        send(`${JSON.stringify({ jsonrpc: '2.0', id: n, method: 'tools/call', params: { name: 'echo', arguments: args } })}\n`);
      }),
    close: async () => {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
