import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, type PluginHost } from '@clawdesk/host';
import { loadManifest, type PluginManifest } from '@clawdesk/manifest';
import { createRecordingLogger, type RecordingLogger } from '@clawdesk/sandbox/conformance';
import type { SandboxDriver } from '@clawdesk/sandbox';

const here = path.dirname(fileURLToPath(import.meta.url));

export const fixtureDir = (name: string) => path.join(here, '..', 'fixtures', name);
export const loadFixture = (name: string): Promise<PluginManifest> => loadManifest(fixtureDir(name));

/** Where Node's resolver would find package `name` from here (its exports map may hide `package.json`). */
function installedDir(name: string): string {
  for (let dir = here; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`${name} is not installed (it is a root devDependency)`);
  }
}

/** The published packages, unmodified, as npm installed them. */
export const REAL_PLUGINS = {
  ollama: installedDir('@ollama/openclaw-web-search'),
  ohMyOpenClaw: installedDir('@happycastle/oh-my-openclaw'),
};

export interface TestHost {
  host: PluginHost;
  logger: RecordingLogger;
  dataDir: string;
}

/** A host over `drivers` with a temporary data dir; `close()` closes it and removes the dir. */
export async function openHost(
  drivers: SandboxDriver[],
  config: Record<string, Record<string, unknown>> = {},
): Promise<TestHost & { close(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'clawdesk-openclaw-'));
  const logger = createRecordingLogger();
  const host = createHost({ drivers, hostVersion: '1.0.0', dataDir, logger, config: (name) => config[name] });
  return {
    host,
    logger,
    dataDir,
    async close() {
      try {
        await host.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** `openHost` for the length of `fn`, closed whatever happens. */
export async function withHost(
  drivers: SandboxDriver[],
  fn: (t: TestHost) => Promise<void>,
  config: Record<string, Record<string, unknown>> = {},
): Promise<void> {
  const t = await openHost(drivers, config);
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

export interface FakeOllama {
  /** Bodies of the requests received, by path. */
  requests: { path: string; body: unknown }[];
  close(): Promise<void>;
}

/** Ollama's web search API on the address the plugin hard-codes (127.0.0.1:11434). */
export async function startFakeOllama(): Promise<FakeOllama> {
  const requests: FakeOllama['requests'] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const body = JSON.parse(text || 'null') as { query?: string };
      requests.push({ path: req.url ?? '', body });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/experimental/web_search') {
        res.end(
          JSON.stringify({
            results: [
              { title: 'clawdesk', url: 'https://example.com/clawdesk', content: `About ${body?.query}` },
              { title: 'OpenClaw', url: 'https://example.com/openclaw', content: 'Plugins' },
            ],
          }),
        );
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error('port 11434 is in use (a real Ollama?); the fake Ollama server needs it') : error),
    );
    server.listen(11434, '127.0.0.1', resolve);
  });
  return {
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
