import { defineConformanceSuite } from '@clawdesk/sandbox/conformance';
import { createWasmDriver, type WasmDriver } from '../src/index.js';
import { loadExample } from './helpers.js';

const drivers: WasmDriver[] = [];

defineConformanceSuite({
  name: '@clawdesk/sandbox-wasm',
  createDriver: () => {
    const driver = createWasmDriver();
    drivers.push(driver);
    return driver;
  },
  loadPlugin: () => loadExample('wasm-conformance'),
  liveResources: () => drivers.flatMap((d) => d.threadIds()),
});
