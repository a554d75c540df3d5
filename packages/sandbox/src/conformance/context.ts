import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginManifest } from '@clawdesk/manifest';
import { PermissionDeniedError } from '../errors.js';
import type { Logger, LogLevel, SandboxContext } from '../types.js';

export interface LogEntry {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
}

/** A logger that keeps every entry, for asserting what a plugin or driver logged. */
export interface RecordingLogger extends Logger {
  readonly entries: LogEntry[];
}

export function createRecordingLogger(): RecordingLogger {
  const entries: LogEntry[] = [];
  const at =
    (level: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      entries.push(fields === undefined ? { level, message } : { level, message, fields });
    };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A `SandboxContext` for tests, plus what the test needs to inspect and clean up. */
export interface TestContext extends SandboxContext {
  readonly logger: RecordingLogger;
  /** Removes the temporary `dataDir`. Idempotent. */
  cleanup(): void;
}

export interface TestContextOptions {
  config?: Record<string, unknown>;
  /** Default: rejects with `PermissionDeniedError`, since conformance plugins must not download. */
  browserDownload?: SandboxContext['browserDownload'];
}

/** A fresh temporary `dataDir`, the given config (default `{}`), a recording logger. */
export function createTestContext(manifest: PluginManifest, opts: TestContextOptions = {}): TestContext {
  const dataDir = mkdtempSync(join(tmpdir(), 'clawdesk-test-'));
  return {
    manifest,
    dataDir,
    config: Object.freeze({ ...opts.config }),
    logger: createRecordingLogger(),
    browserDownload:
      opts.browserDownload ??
      (async (url) => {
        throw new PermissionDeniedError(`browserDownload("${url}") is not available in this test context`, { plugin: manifest.name });
      }),
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}
