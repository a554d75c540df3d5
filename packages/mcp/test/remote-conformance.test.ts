import { defineConformanceSuite } from '@clawdesk/sandbox/conformance';
import { createRemoteDriver } from '../src/index.js';
import { remoteManifest, startRemoteServer, type RemoteServer } from './remote-server.js';

// The remote driver against a real MCP server over Streamable HTTP (the SDK's own server, in this process).
let server: RemoteServer;
beforeAll(async () => {
  server = await startRemoteServer();
});
afterAll(() => server?.close());

defineConformanceSuite({
  name: '@clawdesk/mcp remote driver',
  createDriver: () => createRemoteDriver(),
  loadPlugin: async () => remoteManifest(server.url),
});
