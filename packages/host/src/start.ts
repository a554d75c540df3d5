import type { PluginManifest } from '@clawdesk/manifest';
import { type Deadlines, type PluginDescription, type SandboxContext, type SandboxDriver, type SandboxInstance, TimeoutError } from '@clawdesk/sandbox';
import { raceCall } from './race.js';

/** Default time for spawn + handshake + describe; a plugin's `startTimeoutMs` or `createHost({ startTimeoutMs })` changes it. */
export const DEFAULT_START_TIMEOUT_MS = 15_000;

/**
 * How long a start may take. `ms` bounds the host's own wait; `driverMs` is what the driver is told
 * and is set only when the manifest or createHost chose a limit, so a driver configured with its
 * own `startTimeoutMs` keeps it otherwise. The manifest's limit wins: its author knows it starts slowly.
 */
export interface StartLimit {
  ms: number;
  driverMs: number | undefined;
}

export function startTimeoutOf(manifest: PluginManifest, hostLimit: number | undefined): StartLimit {
  const chosen = manifest.startTimeoutMs ?? hostLimit;
  return { ms: chosen ?? DEFAULT_START_TIMEOUT_MS, driverMs: chosen };
}

export interface Started {
  instance: SandboxInstance;
  described: PluginDescription;
}

/**
 * `driver.instantiate` then `describe`, both within one start deadline (not the per-call
 * `timeoutMs`: a plugin may need seconds to start and answer each call in milliseconds). The
 * driver gets the same limit when one was chosen, so its own handshake timer agrees. An instance that arrives after
 * the deadline, or whose describe fails, is disposed.
 */
export async function startInstance(
  deadlines: Deadlines,
  driver: SandboxDriver,
  manifest: PluginManifest,
  ctx: SandboxContext,
  limit: StartLimit,
): Promise<Started> {
  const started = performance.now();
  const startTimeoutMs = limit.ms;
  const instance = await instantiateWithin(deadlines, driver, manifest, ctx, limit);
  try {
    const left = Math.max(1, startTimeoutMs - (performance.now() - started));
    const described = await raceCall(deadlines, whereOf(driver, manifest), left, undefined, () => instance.describe());
    return { instance, described };
  } catch (error) {
    await instance.dispose().catch(() => {});
    throw asStartTimeout(error, driver, manifest, startTimeoutMs, started);
  }
}

/** `driver.instantiate` alone (a restart after a crash) within the start limit. */
export async function instantiateWithin(
  deadlines: Deadlines,
  driver: SandboxDriver,
  manifest: PluginManifest,
  ctx: SandboxContext,
  limit: StartLimit,
): Promise<SandboxInstance> {
  const started = performance.now();
  const startTimeoutMs = limit.ms;
  let pending: Promise<SandboxInstance> | undefined;
  try {
    return await raceCall(deadlines, whereOf(driver, manifest), startTimeoutMs, undefined, (o) => {
      pending = driver.instantiate(manifest, ctx, { signal: o.signal, ...(limit.driverMs === undefined ? {} : { startTimeoutMs: limit.driverMs }) });
      return pending;
    });
  } catch (error) {
    void pending?.then((arrived) => arrived.dispose(), () => {});
    throw asStartTimeout(error, driver, manifest, startTimeoutMs, started);
  }
}

const whereOf = (driver: SandboxDriver, manifest: PluginManifest) => ({ plugin: manifest.name, driver: driver.kind });

/** The host's own deadline as a start timeout: `data.phase: 'start'` and the limit that applied. */
function asStartTimeout(error: unknown, driver: SandboxDriver, manifest: PluginManifest, startTimeoutMs: number, started: number): unknown {
  const e = error as { code?: unknown; data?: { phase?: unknown } } | undefined;
  if (e?.code !== 'TIMEOUT' || e.data?.phase !== undefined) return error;
  return new TimeoutError(startTimeoutMs, {
    ...whereOf(driver, manifest),
    elapsedMs: Math.round(performance.now() - started),
    cause: error,
    data: { phase: 'start', startTimeoutMs },
  });
}
