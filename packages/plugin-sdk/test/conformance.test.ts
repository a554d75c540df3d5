import { createInMemoryDriver } from '@clawdesk/sandbox';
import { defineConformanceSuite } from '@clawdesk/sandbox/conformance';
import { conformancePlugin } from './fixtures/conformance-plugin.js';
import { nativeManifest } from './fixtures/manifest.js';

// A plugin written with the SDK is a PluginModule that passes the driver conformance suite in-process.
defineConformanceSuite({
  name: 'a plugin-sdk plugin in the in-memory driver',
  createDriver: () => createInMemoryDriver({ modules: { conformance: conformancePlugin } }),
  loadPlugin: async () => nativeManifest('conformance'),
  supports: { killRunawayCall: false, crash: true },
});
