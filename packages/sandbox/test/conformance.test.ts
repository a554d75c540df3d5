import { setTimeout as sleep } from 'node:timers/promises';
import { parseManifest } from '@clawdesk/manifest';
import { createInMemoryDriver, type PluginModule, simulateCrash } from '@clawdesk/sandbox';
import { defineConformanceSuite } from '@clawdesk/sandbox/conformance';

// The conformance plugin every driver ships: echo, sleep, spin, crash and the on_test hook.
const conformance: PluginModule = {
  tools: {
    echo: { description: 'Returns its arguments unchanged', run: (args) => args },
    sleep: {
      description: 'Resolves after {ms} with {slept: ms}',
      run: async ({ ms }: { ms: number }, ctx) => {
        await sleep(ms, undefined, { signal: ctx.signal });
        return { slept: ms };
      },
    },
    spin: { description: 'Never returns', run: () => new Promise(() => {}) },
    crash: { description: 'Takes its sandbox down', run: () => simulateCrash('exit 3') },
  },
  hooks: { on_test: (payload) => ({ got: payload }) },
};

defineConformanceSuite({
  name: 'the in-memory driver',
  createDriver: () => createInMemoryDriver({ modules: { conformance } }),
  loadPlugin: async () =>
    parseManifest('{ name: "conformance", version: "1.0.0", description: "The conformance plugin", author: "me", sandbox: "native" }', {
      file: '/plugins/conformance/plugin.json5',
      format: 'json5',
    }),
  // In-process code cannot be killed: a timed-out call rejects, but its code keeps running.
  supports: { killRunawayCall: false, crash: true },
});
