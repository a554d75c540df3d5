// MCP rows: a tool call from an official SDK client through `clawdesk serve` (serveMcp over stdio
// and Streamable HTTP, native and process plugins) vs the same call to a minimal SDK server over
// stdio (the baseline: the least an MCP stdio round trip costs here), plus host.callTool in-process.
// Run after a build: node bench/run.mjs mcp
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, createNativeDriver } from '@clawdesk/host';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { round, timingRow, timeInterleaved } from './_stats.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(root, 'packages/cli/dist/bin.js');
const example = (name) => path.join(root, 'examples', name);
const env = { PATH: process.env.PATH ?? '', NO_COLOR: '1' };

async function stdioClient(args) {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args, env, cwd: root, stderr: 'ignore' }));
  return client;
}

/** `clawdesk serve … --http 0`, resolved once it printed its URL. */
async function httpServe(dir) {
  const child = spawn(process.execPath, [CLI, 'serve', dir, '--http', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on (\S+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`clawdesk serve --http exited (${code}): ${stderr}`)));
  });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return {
    client,
    close: async () => {
      await client.close();
      child.kill('SIGINT');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/** @returns {Promise<Array<Record<string, unknown>>>} */
export async function bench() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'clawdesk-bench-mcp-'));
  const clients = [];
  let http;
  let host;
  try {
    const raw = await stdioClient([path.join(root, 'bench/_mcp-echo-server.mjs')]);
    clients.push(raw);
    const native = await stdioClient([CLI, 'serve', example('native-echo')]);
    clients.push(native);
    const proc = await stdioClient([CLI, 'serve', example('process-echo')]);
    clients.push(proc);
    http = await httpServe(example('native-echo'));
    host = createHost({ drivers: [createNativeDriver()], hostVersion: '1.0.0', dataDir });
    await host.load(example('native-echo'));

    const args = (i) => ({ text: 'hello', i });
    const cases = {
      raw: (i) => raw.callTool({ name: 'echo', arguments: args(i) }),
      stdioNative: (i) => native.callTool({ name: 'native-echo__echo', arguments: args(i) }),
      stdioProcess: (i) => proc.callTool({ name: 'process-echo__echo', arguments: args(i) }),
      httpNative: (i) => http.client.callTool({ name: 'native-echo__echo', arguments: args(i) }),
      host: (i) => host.callTool('native-echo', 'echo', args(i)),
    };
    const stats = await timeInterleaved(cases, { warmup: 300, iterations: 2000, block: 200 });
    const base = stats.raw;
    const row = (name, s, extra) => timingRow(name, s, base, extra);
    const ratio = (s) => ({ value: round(s.p50Us / base.p50Us), unit: '× raw p50' });
    return [
      row('mcp echo: SDK client → minimal SDK server over stdio (baseline)', base, { value: round(base.p50Us), unit: 'µs p50' }),
      row('mcp echo: SDK client → clawdesk serve (stdio) → native plugin', stats.stdioNative, { ...ratio(stats.stdioNative), goal: '≤ 1.5×' }),
      row('mcp echo: SDK client → clawdesk serve (stdio) → process plugin', stats.stdioProcess, ratio(stats.stdioProcess)),
      row('mcp echo: SDK client → clawdesk serve --http → native plugin', stats.httpNative, ratio(stats.httpNative)),
      row('mcp echo: host.callTool in-process (native, no MCP)', stats.host, ratio(stats.host)),
    ];
  } finally {
    await Promise.all([...clients.map((c) => c.close()), http?.close(), host?.close()]);
    await rm(dataDir, { recursive: true, force: true });
  }
}
