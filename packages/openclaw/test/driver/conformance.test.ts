import { defineConformanceSuite } from '@clawdesk/sandbox/conformance';
import { createOpenClawDriver, type OpenClawDriver } from '../../src/driver.js';
import type { OpenClawInstance } from '../../src/instance.js';
import { loadFixture } from '../support/plugins.js';

const instances: OpenClawInstance[] = [];
const pids = new Set<number>();

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Records every instance so the leak check can look for its runner processes after dispose. */
const recordingDriver = (): OpenClawDriver => {
  const driver = createOpenClawDriver();
  return {
    ...driver,
    async instantiate(manifest, ctx, opts) {
      const instance = await driver.instantiate(manifest, ctx, opts);
      instances.push(instance);
      return instance;
    },
  };
};

// The conformance plugin written as an OpenClaw plugin (JavaScript entry, shimmed openclaw/* imports).
defineConformanceSuite({
  name: '@clawdesk/openclaw',
  createDriver: recordingDriver,
  loadPlugin: () => loadFixture('conformance'),
  liveResources: () => {
    for (const instance of instances) if (instance.pid !== undefined) pids.add(instance.pid);
    return [...pids].filter(isAlive);
  },
  // As in sandbox-process: execa binds this AsyncResource to a callback; it holds no handle.
  ignoreResourceTypes: ['STREAM_END_OF_STREAM'],
});
