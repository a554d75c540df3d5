// A separate host process for tests that need a real parent: its environment, its exit.
// argv[2] is JSON: { dir, doc, dataDir, runtimes, tool, args, then: 'exit' | 'hang' | 'dispose' }.
// Prints one JSON line { pid, result } (or { error }), then does `then`.
import path from 'node:path';
import { validateManifest } from '@clawdesk/manifest';
import { createProcessDriver } from '../../dist/index.js';

const { dir, doc, dataDir, runtimes, isolation, tool, args, then } = JSON.parse(process.argv[2]);
const manifest = validateManifest(doc, { file: path.join(dir, 'plugin.json5'), format: 'json5', dir });
const quiet = () => {};
const ctx = {
  manifest,
  dataDir,
  config: {},
  logger: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  browserDownload: async () => {
    throw new Error('no downloads here');
  },
};
const instance = await createProcessDriver({ runtimes, ...(isolation ? { isolation } : {}) }).instantiate(manifest, ctx);
try {
  const result = await instance.callTool(tool, args, { timeoutMs: 10_000, signal: new AbortController().signal });
  process.stdout.write(`${JSON.stringify({ pid: instance.pid, result })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ pid: instance.pid, error: { code: error.code, message: error.message } })}\n`);
}
if (then === 'exit') process.exit(0);
if (then === 'dispose') await instance.dispose();
if (then === 'hang') setInterval(() => {}, 1000);
