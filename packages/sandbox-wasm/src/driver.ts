/**
 * `createWasmDriver`: runs `sandbox: "wasm"` plugins as Extism modules, each in a worker thread
 * the driver owns, with per-call timeouts, a memory cap, and clawdesk's host functions.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { availableParallelism, devNull } from 'node:os';
import type { PluginManifest } from '@clawdesk/manifest';
import { CancelledError, LoadFailedError, type InstantiateOptions, type PermissionReport, type SandboxContext, type SandboxDriver, type SandboxInstance } from '@clawdesk/sandbox';
import { Contention } from './handoff.js';
import { createHostServices } from './host-services.js';
import { DRIVER, HOOK_EXPORT, WasmInstance } from './instance.js';
import { ModuleCache } from './module.js';
import { resolveOptions, type WasmDriverOptions } from './options.js';
import { preopensFor, stringifyConfig } from './permissions.js';
import { bootWorker, PluginWorker, StartError } from './plugin-worker.js';
import { SpareWorkers } from './spare.js';
import { WASM_PAGE_BYTES } from './wasm-binary.js';

export const PACKAGE_NAME = '@clawdesk/sandbox-wasm';

export interface WasmDriver extends SandboxDriver {
  readonly kind: 'wasm';
  /**
   * Thread ids of the workers running this driver's plugin instances that have not exited yet
   * (diagnostics, leak checks). The spare worker, which runs no plugin, is not among them.
   */
  threadIds(): number[];
  /** Thread id of the spare worker booted and waiting for the next start: none or one. */
  spareThreadIds(): number[];
  /**
   * Stops the spare worker and starts no more; resolves once its thread has exited. Instances
   * keep running, and later starts still work, each booting its own thread. Optional: the spare
   * never keeps the process alive and stops by itself after `spareIdleMs`.
   */
  dispose(): Promise<void>;
}

const ENFORCED: PermissionReport = {
  network: 'enforced',
  fsRead: 'enforced',
  fsWrite: 'enforced',
  env: 'enforced',
  memory: 'enforced',
  timeout: 'enforced',
};

const MIB = 2 ** 20;

export function createWasmDriver(options: WasmDriverOptions = {}): WasmDriver {
  const o = resolveOptions(options);
  const modules = new ModuleCache();
  const live = new Set<number>();
  const contention = new Contention(availableParallelism());
  const spares = new SpareWorkers(o.spareIdleMs, (limits) => bootWorker(o.channelBytes, limits));

  async function instantiate(manifest: PluginManifest, ctx: SandboxContext, opts: InstantiateOptions = {}): Promise<SandboxInstance> {
    const where = { plugin: manifest.name, driver: DRIVER };
    if (manifest.sandbox !== 'wasm') throw new LoadFailedError(`the wasm driver cannot run sandbox "${manifest.sandbox}"`, where);
    const { signal } = opts;
    if (signal?.aborted) throw new CancelledError({ ...where, reason: signal.reason });

    const { memoryMb } = manifest.permissions;
    const maxPages = Math.floor((memoryMb * MIB) / WASM_PAGE_BYTES);
    const prepared = await modules.get(manifest, maxPages);
    const wanted = [...manifest.tools.map((t) => t.name), ...(manifest.hooks.length > 0 ? [HOOK_EXPORT] : [])];
    const missing = wanted.filter((name) => !prepared.functionExports.has(name));
    if (missing.length > 0) {
      throw new LoadFailedError(`${manifest.entry} does not export ${missing.map((m) => `"${m}"`).join(', ')}, declared in ${manifest.manifestFile}`, {
        ...where,
        data: { missing },
      });
    }
    const exports = [...new Set([...manifest.tools.map((t) => t.name), ...(prepared.functionExports.has(HOOK_EXPORT) ? [HOOK_EXPORT] : [])])];
    const wasi = prepared.usesWasi ? { ...preopensFor(manifest, ctx.logger), nullFd: openSync(devNull, constants.O_RDWR), maxOpenFiles: o.maxOpenFiles } : null;
    const release = () => {
      if (wasi) closeSync(wasi.nullFd);
    };
    const memoryBytes = memoryMb * MIB;
    const services = createHostServices(ctx, manifest.permissions.network.allowedHosts, memoryBytes);
    // A backstop for the worker's JS heap; wasm memory is capped in the module itself. A small young
    // generation: a call leaves ~1 KB of JS garbage, and 16 MB semispaces cost an idle plugin 2+ MB.
    const resourceLimits = { maxOldGenerationSizeMb: Math.max(64, memoryMb * 2), maxYoungGenerationSizeMb: 2 };
    const spawnOptions = {
      setup: {
        module: prepared.module,
        exports,
        config: stringifyConfig(ctx.config),
        allowedHosts: [...manifest.permissions.network.allowedHosts],
        wasi,
        hostMemoryBytes: memoryBytes,
        wasmMemoryBytes: prepared.wasmMemoryBytes,
        maxOutputBytes: o.maxOutputBytes,
      },
      boot: () => spares.take(resourceLimits),
      hostSpinMicros: o.hostSpinMicros,
      hostWaitMicros: o.hostWaitMicros,
      workerSpinMicros: o.workerSpinMicros,
      contention,
      startTimeoutMs: opts.startTimeoutMs ?? manifest.startTimeoutMs ?? o.startTimeoutMs,
      services,
      live,
    };
    let first = true;
    try {
      return await WasmInstance.start({
        manifest,
        exports,
        maxOutputBytes: o.maxOutputBytes,
        release,
        spawn: (onDeath) => {
          // Only the first start is part of instantiate() and may be cancelled by its signal.
          const startSignal = first ? signal : undefined;
          first = false;
          const started = PluginWorker.start({ ...spawnOptions, onDeath, signal: startSignal });
          // The next start (a reload, another plugin, a restart after a timeout) finds a thread booted.
          void started.finally(() => spares.refill(resourceLimits)).catch(() => {});
          return started;
        },
      });
    } catch (error) {
      release();
      if (error instanceof StartError && error.aborted) throw new CancelledError({ ...where, reason: signal?.reason });
      throw new LoadFailedError(error instanceof Error ? error.message : String(error), { ...where, cause: error });
    }
  }

  return {
    kind: 'wasm',
    packageName: PACKAGE_NAME,
    supports: (manifest) => manifest.sandbox === 'wasm',
    enforcement: () => ({ ...ENFORCED }),
    instantiate,
    threadIds: () => [...live],
    spareThreadIds: () => spares.threadIds(),
    dispose: () => spares.close(),
  };
}
