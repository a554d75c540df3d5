import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest, validateManifest, type PluginManifest } from '@clawdesk/manifest';
import type { CallOptions } from '@clawdesk/sandbox';
import { createTestContext, type TestContext, type TestContextOptions } from '@clawdesk/sandbox/conformance';
import { createProcessDriver } from '../../src/driver.js';
import type { ProcessInstance } from '../../src/instance.js';
import type { ProcessDriverOptions, ProcessRuntime } from '../../src/options.js';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const REPO_ROOT = path.resolve(FIXTURES_DIR, '../../../..');
export const ECHO_DIR = path.join(REPO_ROOT, 'examples/process-echo');
export const BIN_DIR = path.join(REPO_ROOT, 'node_modules/.bin');

/** bun and deno come from the root devDependencies. */
export const RUNTIME_BINARIES: Partial<Record<ProcessRuntime, string>> = {
  bun: path.join(BIN_DIR, 'bun'),
  deno: path.join(BIN_DIR, 'deno'),
};

/** A manifest for `test/fixtures/<name>/plugin.mjs`, validated by @clawdesk/manifest like one read from disk. */
export function fixtureManifest(name: string, doc: Record<string, unknown> = {}): PluginManifest {
  const dir = path.join(FIXTURES_DIR, name);
  return validateManifest(
    {
      name,
      version: '0.0.0',
      description: `test fixture ${name}`,
      author: 'clawdesk tests',
      runtime: 'node',
      sandbox: 'process',
      entry: './plugin.mjs',
      capabilities: ['tool_call'],
      ...doc,
    },
    { file: path.join(dir, 'plugin.json5'), format: 'json5', dir },
  );
}

/** The conformance plugin in examples/process-echo, on the runtime asked for. */
export async function echoManifest(runtime: ProcessRuntime = 'node', patch: Partial<PluginManifest> = {}): Promise<PluginManifest> {
  return { ...(await loadManifest(ECHO_DIR)), runtime, ...patch };
}

export function opts(timeoutMs = 15_000, signal: AbortSignal = new AbortController().signal): CallOptions {
  return { timeoutMs, signal };
}

export interface Started {
  instance: ProcessInstance;
  ctx: TestContext;
  close(): Promise<void>;
}

/** Instantiates a plugin with a fresh test context; `close()` disposes it and removes the data dir. */
export async function start(
  manifest: PluginManifest,
  options: { driver?: ProcessDriverOptions; ctx?: TestContextOptions } = {},
): Promise<Started> {
  const ctx = createTestContext(manifest, options.ctx);
  const driver = createProcessDriver({ runtimes: RUNTIME_BINARIES, ...options.driver });
  try {
    const instance = await driver.instantiate(manifest, ctx);
    return {
      instance,
      ctx,
      close: async () => {
        try {
          await instance.dispose();
        } finally {
          ctx.cleanup();
        }
      },
    };
  } catch (error) {
    ctx.cleanup();
    throw error;
  }
}

/** Whether a process with this pid exists (zombies excluded). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true;
  }
}

/** Polls until `check()` holds or `ms` passes; returns the last answer. */
export async function eventually(check: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/** Settles a promise into a value for assertions. */
export async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: any }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}
