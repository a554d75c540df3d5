import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CrashEvent, LogEvent, PluginHost } from '@clawdesk/host';

export const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));
export const exampleDir = (name: string): string => path.join(examplesDir, name);

/** A throwaway directory, removed by `cleanup`. */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `clawdesk-e2e-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of an example plugin (manifest, built dist/, data/) for tests that write into its dir. */
export function copyExample(name: string, into: string): string {
  const dir = path.join(into, name);
  mkdirSync(dir, { recursive: true });
  for (const entry of ['plugin.json5', 'dist', 'data']) {
    const from = path.join(examplesDir, name, entry);
    if (existsSync(from)) cpSync(from, path.join(dir, entry), { recursive: true });
  }
  return dir;
}

export type CodedError = Error & { code?: string; data?: Record<string, unknown>; plugin?: string; tool?: string; driver?: string };

/** The rejection of `promise`; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<CodedError> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error as CodedError;
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
}

/** Everything a host reported through its events since the last `clear()`. */
export interface HostEventLog {
  crashes: CrashEvent[];
  restarts: { plugin: string; attempt: number }[];
  logs: LogEvent[];
  clear(): void;
}

export function recordEvents(host: PluginHost): HostEventLog {
  const log: HostEventLog = {
    crashes: [],
    restarts: [],
    logs: [],
    clear() {
      log.crashes.splice(0);
      log.restarts.splice(0);
      log.logs.splice(0);
    },
  };
  host.on('crash', (e) => log.crashes.push(e));
  host.on('restart', (e) => log.restarts.push(e));
  host.on('log', (e) => log.logs.push(e));
  return log;
}

export interface RecordedRequest {
  url: string;
  host: string | undefined;
  referer: string | undefined;
}

export interface LocalServer {
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that records every request before `handle` answers it. */
export async function startServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<LocalServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', host: req.headers.host, referer: req.headers.referer });
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
