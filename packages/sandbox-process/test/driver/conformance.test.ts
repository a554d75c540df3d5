import { defineConformanceSuite } from '@clawdesk/sandbox/conformance';
import { createProcessDriver, type ProcessDriver } from '../../src/driver.js';
import type { ProcessInstance } from '../../src/instance.js';
import type { ProcessRuntime } from '../../src/options.js';
import { echoManifest, isAlive, RUNTIME_BINARIES } from '../support/plugins.js';

// The same plugin (examples/process-echo, written with plugin-sdk's serve()) on each runtime.
for (const runtime of ['node', 'bun', 'deno'] as ProcessRuntime[]) {
  const instances: ProcessInstance[] = [];
  const pids = new Set<number>();

  /** Records every instance so the leak check can look for its processes after dispose. */
  const recordingDriver = (): ProcessDriver => {
    const driver = createProcessDriver({ runtimes: RUNTIME_BINARIES });
    return {
      ...driver,
      instantiate: async (manifest, ctx, opts) => {
        const instance = await driver.instantiate(manifest, ctx, opts);
        instances.push(instance);
        return instance;
      },
    };
  };

  defineConformanceSuite({
    name: `@clawdesk/sandbox-process on ${runtime}`,
    createDriver: recordingDriver,
    loadPlugin: () => echoManifest(runtime),
    liveResources: () => {
      for (const instance of instances) if (instance.pid !== undefined) pids.add(instance.pid);
      return [...pids].filter(isAlive);
    },
    // execa waits on the child's stdio with stream.finished(), which binds an AsyncResource of this type to a
    // callback; it holds no handle and is destroyed by GC, so it cannot keep the process alive.
    ignoreResourceTypes: ['STREAM_END_OF_STREAM'],
  });
}
