import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, createNativeDriver, type PluginHost } from '@clawdesk/host';
import { createProcessDriver } from '@clawdesk/sandbox-process';
import { createWasmDriver } from '@clawdesk/sandbox-wasm';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const EXAMPLES = path.join(REPO_ROOT, 'examples');

export interface TestHost {
  host: PluginHost;
  dir: string;
  cleanup(): Promise<void>;
}

/**
 * A host with all three drivers and the native, process and wasm example plugins loaded, plus
 * `waiter`: a native plugin whose `wait` tool writes `<dir>/aborted` when its call is cancelled.
 */
export async function exampleHost(): Promise<TestHost> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-mcp-'));
  const host = createHost({
    drivers: [createNativeDriver(), createProcessDriver(), createWasmDriver()],
    hostVersion: '1.0.0',
    dataDir: path.join(dir, 'data'),
  });
  for (const name of ['native-echo', 'process-echo', 'weather-wasm']) await host.load(path.join(EXAMPLES, name));
  await host.load(writeWaiter(dir));
  return {
    host,
    dir,
    cleanup: async () => {
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function writeWaiter(root: string): string {
  const dir = path.join(root, 'waiter');
  mkdirSync(dir);
  const marker = JSON.stringify(path.join(root, 'aborted'));
  writeFileSync(
    path.join(dir, 'plugin.json5'),
    `{ name: 'waiter', runtime: 'node', sandbox: 'native', entry: './index.mjs', tools: [{ name: 'wait', description: 'Waits until cancelled' }] }`,
  );
  writeFileSync(
    path.join(dir, 'index.mjs'),
    `import { writeFileSync } from 'node:fs';
export default { tools: { wait: { description: 'Waits until cancelled', run: (_args, ctx) => new Promise((_, reject) => {
  ctx.signal.addEventListener('abort', () => { writeFileSync(${marker}, String(ctx.signal.reason?.code ?? ctx.signal.reason)); reject(ctx.signal.reason); });
}) } } };
`,
  );
  return dir;
}

/** Resolves once `predicate` holds, checking after every macrotask; for effects that land asynchronously. */
export async function eventually(predicate: () => boolean, what: string, tries = 2000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`never happened: ${what}`);
}
