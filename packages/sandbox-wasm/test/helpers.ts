import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest, type PluginManifest } from '@clawdesk/manifest';
import type { CallOptions, SandboxInstance } from '@clawdesk/sandbox';
import { createTestContext, type TestContext } from '@clawdesk/sandbox/conformance';

export const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));

export type Example = 'wasm-conformance' | 'wasm-hostile' | 'weather-wasm';

export function loadExample(name: Example): Promise<PluginManifest> {
  return loadManifest(path.join(examplesDir, name));
}

/** A throwaway copy of an example plugin dir (tests that write files or edit the manifest use it). */
export function copyExample(name: Example): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `clawdesk-${name}-`));
  for (const entry of ['plugin.json5', 'dist', 'data']) {
    const from = path.join(examplesDir, name, entry);
    if (existsSync(from)) cpSync(from, path.join(dir, entry), { recursive: true });
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function callOpts(timeoutMs = 15_000, signal: AbortSignal = new AbortController().signal): CallOptions {
  return { signal, timeoutMs };
}

/** Runs `fn` and returns its rejection (failing when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string; data?: Record<string, unknown>; plugin?: string; tool?: string }> {
  try {
    const value = await promise;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (error) {
    return error as Error & { code?: string };
  }
}

/** Disposes every instance created through `track` after each test. */
export function instanceTracker(): { track<T extends SandboxInstance>(i: T): T; disposeAll(): Promise<void> } {
  const live: SandboxInstance[] = [];
  return {
    track: (i) => {
      live.push(i);
      return i;
    },
    disposeAll: async () => {
      await Promise.all(live.splice(0).map((i) => i.dispose()));
    },
  };
}

/** Polls `condition` every 20 ms until it holds, failing after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Test contexts and throwaway dirs for one test file; `cleanup()` (call it in afterEach) removes them.
 * `withEntry(bytes)` is the conformance manifest with `bytes` as its entry, in a fresh dir.
 */
export function entryFixtures() {
  const contexts: TestContext[] = [];
  const dirs: string[] = [];
  return {
    dirs,
    context(m: PluginManifest): TestContext {
      const ctx = createTestContext(m);
      contexts.push(ctx);
      return ctx;
    },
    async withEntry(bytes: Uint8Array, changes: Partial<PluginManifest> = {}): Promise<PluginManifest> {
      const base = await loadExample('wasm-conformance');
      const dir = mkdtempSync(path.join(tmpdir(), 'clawdesk-wasm-entry-'));
      dirs.push(dir);
      writeFileSync(path.join(dir, 'plugin.wasm'), bytes);
      return { ...base, dir, entry: './plugin.wasm', manifestFile: path.join(dir, 'plugin.json5'), tools: [], hooks: [], ...changes };
    },
    cleanup(): void {
      for (const ctx of contexts.splice(0)) ctx.cleanup();
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
