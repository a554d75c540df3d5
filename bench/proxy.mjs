// Egress proxy rows: download throughput from an allowed host through the proxy (plain HTTP and a
// CONNECT tunnel) vs the same download direct, in one run. The client runs inside a fresh network
// namespace (unshare --net, nsenter) where the proxy's listener is its only way out, as a plugin's
// would be; where namespaces are unavailable it runs on the host against a host-side listener.
// Run after a build: node bench/run.mjs proxy
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';
import * as sandboxProcess from '@clawdesk/sandbox-process';
import { round } from './_stats.mjs';

const BLOB_MIB = 32;
const DOWNLOADS = 4; // per client run
const ROUNDS = 3; // client runs per mode, interleaved; the median is reported
const PROXY_PORT = 3128;

// Downloads argv[2] argv[3] times, direct or through the proxy at argv[4] (plain or CONNECT);
// prints the bytes and seconds. Plain node:http, so every Node version measures the same client.
const CLIENT = `
const http = require('node:http');
const [mode, url, times, proxyPort] = [process.argv[1], new URL(process.argv[2]), Number(process.argv[3]), Number(process.argv[4])];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function tunnel() {
  return new Promise((resolve, reject) => {
    http.request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: url.host, agent: false })
      .on('connect', (res, socket) => (res.statusCode === 200 ? resolve(socket) : reject(new Error('CONNECT ' + res.statusCode))))
      .on('error', reject).end();
  });
}
// One tunnel per download: without an agent, node:http closes the connection after a response.
async function get() {
  const socket = mode === 'connect' ? await tunnel() : undefined;
  const options = mode === 'direct' ? { host: url.hostname, port: url.port, path: url.pathname, agent }
    : mode === 'http' ? { host: '127.0.0.1', port: proxyPort, path: url.href, agent }
    : { path: url.pathname, headers: { host: url.host }, createConnection: () => socket };
  return new Promise((resolve, reject) => http.get(options, (res) => {
    let bytes = 0;
    res.on('data', (d) => (bytes += d.length)).on('end', () => resolve(bytes)).on('error', reject);
  }).on('error', reject));
}
(async () => {
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < times; i++) bytes += await get();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ bytes, seconds }));
  agent.destroy();
})().catch((e) => { console.error(e.message); process.exit(1); });`;

const run = (command, args) =>
  new Promise((resolve, reject) =>
    execFile(command, args, { env: { PATH: process.env.PATH }, timeout: 120_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()))),
  );

/** A network namespace with only lo, held open by a sleep; undefined where unshare --net is refused. */
async function createNetns() {
  const holder = spawn('unshare', ['--net', 'sh', '-c', 'ip link set lo up && echo ready && exec sleep 600'], { stdio: ['ignore', 'pipe', 'ignore'] });
  holder.on('error', () => {});
  const lines = createInterface({ input: holder.stdout });
  const [line] = await Promise.race([once(lines, 'line'), once(holder, 'exit').then(() => []), once(holder, 'error').then(() => [])]);
  if (line !== 'ready') return undefined;
  return { pid: holder.pid, close: () => holder.kill('SIGKILL') };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function bench() {
  const { createEgressProxy, listenInNetns } = sandboxProcess;
  if (typeof createEgressProxy !== 'function' || typeof listenInNetns !== 'function') {
    throw new Error('@clawdesk/sandbox-process does not export createEgressProxy and listenInNetns (src/index.ts)');
  }
  const blob = Buffer.alloc(1024 * 1024, 'b');
  const target = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': BLOB_MIB * blob.length });
    let left = BLOB_MIB;
    const pump = () => {
      while (left > 0) {
        left--;
        if (!res.write(blob)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  const url = `http://127.0.0.1:${target.address().port}/blob`;
  const proxy = createEgressProxy({ allowedHosts: [`127.0.0.1:${target.address().port}`] });

  const netns = await createNetns();
  let listener;
  try {
    if (netns) {
      listener = await listenInNetns(netns.pid, { port: PROXY_PORT });
    } else {
      listener = net.createServer().listen(0, '127.0.0.1');
      await once(listener, 'listening');
    }
    proxy.serve(listener);
    const proxyPort = listener.address().port;
    const inside = (mode) =>
      netns
        ? run('nsenter', [`--net=/proc/${netns.pid}/ns/net`, process.execPath, '-e', CLIENT, mode, url, String(DOWNLOADS), String(proxyPort)])
        : run(process.execPath, ['-e', CLIENT, mode, url, String(DOWNLOADS), String(proxyPort)]);
    const direct = () => run(process.execPath, ['-e', CLIENT, 'direct', url, String(DOWNLOADS), '0']);

    const rates = { direct: [], http: [], connect: [] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const mode of Object.keys(rates)) {
        const { bytes, seconds } = await (mode === 'direct' ? direct() : inside(mode));
        rates[mode].push(bytes / 1e6 / seconds);
      }
    }
    const base = median(rates.direct);
    const where = netns ? 'client in a netns' : 'no netns here: client on the host';
    const size = `${BLOB_MIB} MiB × ${DOWNLOADS}, median of ${ROUNDS}`;
    return [
      { name: `egress proxy: direct download, no proxy (${size})`, value: round(base, 0), unit: 'MB/s' },
      { name: `egress proxy: plain HTTP through the proxy, ${where} (${size})`, value: round(median(rates.http), 0), unit: 'MB/s', ratio: round(median(rates.http) / base) },
      { name: `egress proxy: CONNECT tunnel through the proxy, ${where} (${size})`, value: round(median(rates.connect), 0), unit: 'MB/s', ratio: round(median(rates.connect) / base) },
    ];
  } finally {
    await proxy.close();
    listener?.close();
    netns?.close();
    await new Promise((resolve) => target.close(resolve));
  }
}
