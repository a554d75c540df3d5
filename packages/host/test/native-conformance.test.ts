import { fileURLToPath } from 'node:url';
import { loadManifest } from '@clawdesk/manifest';
import { defineConformanceSuite } from '@clawdesk/sandbox/conformance';
import { createNativeDriver } from '../src/index.js';

// The native driver runs plugin code in this process: it cannot stop a runaway call (the call
// times out, the code keeps going) and its plugin cannot take the sandbox down (no crash).
defineConformanceSuite({
  name: '@clawdesk/host native driver',
  createDriver: () => createNativeDriver(),
  loadPlugin: () => loadManifest(fileURLToPath(new URL('../../../examples/native-echo/', import.meta.url))),
  supports: { killRunawayCall: false, crash: false },
});
