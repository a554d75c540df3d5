import os from 'node:os';
import path from 'node:path';
import { validateManifest, type PluginManifest } from '@clawdesk/manifest';
import { defineConformanceSuite } from '@clawdesk/sandbox/conformance';
import { createRemoteDriver } from '../src/index.js';
import { startRemoteServer, type RemoteServer } from './remote-server.js';

// The remote driver against a real MCP server over Streamable HTTP (the SDK's own server, in this process).
let server: RemoteServer;
beforeAll(async () => {
  server = await startRemoteServer();
});
afterAll(() => server?.close());

export function remoteManifest(url: string, doc: Record<string, unknown> = {}): PluginManifest {
  const dir = path.join(os.tmpdir(), 'clawdesk-remote-plugin');
  const { host } = new URL(url);
  return validateManifest(
    { name: 'remote-echo', sandbox: 'remote', url, hooks: ['on_test'], capabilities: ['tool_call', 'event_listener'], permissions: { network: { allowedHosts: [host] } }, ...doc },
    { file: path.join(dir, 'plugin.json5'), format: 'json5', dir },
  );
}

defineConformanceSuite({
  name: '@clawdesk/mcp remote driver',
  createDriver: () => createRemoteDriver(),
  loadPlugin: async () => remoteManifest(server.url),
});
