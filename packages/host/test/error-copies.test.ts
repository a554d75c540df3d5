import { createRequire } from 'node:module';
import type * as Sandbox from '@clawdesk/sandbox';
import { manifest, rejection, withHost } from './helpers.js';

// A driver with its own copy of @clawdesk/sandbox (built against another patch version, or
// loaded through `require` by this ESM host): the host must still recognise its errors by code,
// not turn a CRASHED into PLUGIN_ERROR. The CJS build is a second copy of the package here.
const other = createRequire(import.meta.url)('@clawdesk/sandbox') as typeof Sandbox;

const cases: [string, () => Error][] = [
  ['TIMEOUT', () => new other.TimeoutError(5)],
  ['CRASHED', () => new other.CrashedError('exit code 1')],
  ['CANCELLED', () => new other.CancelledError()],
  ['DISPOSED', () => new other.DisposedError()],
  ['INVALID_OUTPUT', () => new other.InvalidOutputError('not JSON')],
  ['OUTPUT_TOO_LARGE', () => new other.OutputTooLargeError(10, { bytes: 11 })],
  ['PERMISSION_DENIED', () => new other.PermissionDeniedError('fs')],
  ['MEMORY_LIMIT', () => new other.MemoryLimitError(64)],
  ['TOOL_ERROR', () => new other.ToolError('bad')],
  ['TOOL_NOT_FOUND', () => new other.ToolNotFoundError('go')],
  ['LOAD_FAILED', () => new other.LoadFailedError('no')],
];

/** A driver whose instance rejects every call with `fail()`; its errors come from the other copy. */
function driverFailingWith(fail: () => Error): Sandbox.SandboxDriver {
  return {
    kind: 'process',
    packageName: 'other-copy-driver',
    supports: () => true,
    enforcement: () => ({ network: 'enforced', fsRead: 'enforced', fsWrite: 'enforced', env: 'enforced', memory: 'enforced', timeout: 'enforced' }),
    instantiate: async () => ({
      describe: async () => ({ tools: [{ name: 'go', description: 'go' }], hooks: [] }),
      callTool: async () => Promise.reject(fail()),
      dispatch: async () => Promise.reject(fail()),
      dispose: async () => {},
      onExit: () => () => {},
    }),
  };
}

describe('errors from a driver with its own copy of @clawdesk/sandbox', () => {
  test.each(cases)('%s keeps its code through host.callTool, with plugin, tool and driver attached', async (code, fail) => {
    await withHost({ drivers: [driverFailingWith(fail)] }, async ({ host }) => {
      await host.load(manifest('drift', { sandbox: 'process', toolNames: ['go'] }));
      const error = await rejection(host.callTool('drift', 'go', {}));
      expect(error).toMatchObject({ code, plugin: 'drift', tool: 'go', driver: 'process' });
    });
  });

  test('a start failure from the other copy keeps its code too', async () => {
    const driver: Sandbox.SandboxDriver = {
      ...driverFailingWith(() => new Error('unused')),
      instantiate: async () => Promise.reject(new other.RuntimeMissingError('bun', 'npm i bun')),
    };
    await withHost({ drivers: [driver] }, async ({ host }) => {
      expect(await rejection(host.load(manifest('drift', { sandbox: 'process' })))).toMatchObject({ code: 'RUNTIME_MISSING', plugin: 'drift' });
    });
  });
});
