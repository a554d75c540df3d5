import { createRequire } from 'node:module';
import * as esm from '../src/index.js';

// A host and a driver may each load their own copy of @clawdesk/sandbox (a driver a patch
// behind gets a nested copy; an ESM host may meet a driver that `require`s the CJS build).
// Errors must be recognised across copies: here the copy is the package's own CJS build.
const cjs = createRequire(import.meta.url)('../dist/index.cjs') as typeof esm;

const where = { plugin: 'p', tool: 't', driver: 'process' };
const made = (lib: typeof esm) => [
  new lib.TimeoutError(100, where),
  new lib.CrashedError('exit 1', where),
  new lib.ToolNotFoundError('x', where),
  new lib.InvalidArgumentsError([{ path: '', message: 'bad' }], where),
  new lib.InvalidOutputError('not json', where),
  new lib.PermissionDeniedError('net', where),
  new lib.OutputTooLargeError(10, { ...where, bytes: 20 }),
  new lib.RuntimeMissingError('bun', 'npm i bun', where),
  new lib.MemoryLimitError(64, where),
  new lib.IsolationUnavailableError('netns', 'install bwrap', where),
  new lib.LoadFailedError('boom', where),
  new lib.ToolError('failed', where),
  new lib.CancelledError(where),
  new lib.DisposedError(where),
];

describe('errors from another copy of @clawdesk/sandbox', () => {
  test('the other copy is a different module (its classes are not ours)', () => {
    expect(cjs.SandboxError).not.toBe(esm.SandboxError);
  });

  test.each(made(cjs).map((e) => [e.code, e] as const))('%s from the CJS copy is recognised by the ESM copy, by class and by isSandboxError', (code, error) => {
    expect(esm.isSandboxError(error)).toBe(true);
    expect(error instanceof esm.SandboxError).toBe(true);
    const own = made(esm).find((e) => e.code === code);
    expect(error instanceof (own?.constructor as typeof esm.SandboxError)).toBe(true);
    // …and only by its own class.
    const others = made(esm).filter((e) => e.code !== code);
    for (const other of others) expect(error instanceof (other.constructor as typeof esm.SandboxError)).toBe(false);
  });

  test('the ESM copy’s errors are recognised by the CJS copy too', () => {
    for (const error of made(esm)) {
      expect(cjs.isSandboxError(error)).toBe(true);
      expect(error instanceof cjs.SandboxError).toBe(true);
    }
    expect(new esm.TimeoutError(1) instanceof cjs.TimeoutError).toBe(true);
    expect(new esm.TimeoutError(1) instanceof cjs.CrashedError).toBe(false);
  });

  test('plain errors and look-alikes without the brand are not sandbox errors', () => {
    for (const value of [new Error('x'), { code: 'CRASHED', message: 'x' }, Object.assign(new Error('x'), { code: 'TIMEOUT' }), null, 'CRASHED', 42]) {
      expect(esm.isSandboxError(value)).toBe(false);
      expect(value instanceof esm.SandboxError).toBe(false);
      expect(value instanceof esm.CrashedError).toBe(false);
    }
  });

  test('a subclass of your own keeps the ordinary prototype check', () => {
    class MyTimeout extends esm.TimeoutError {}
    expect(new MyTimeout(5) instanceof MyTimeout).toBe(true);
    expect(new esm.TimeoutError(5) instanceof MyTimeout).toBe(false);
    expect(new MyTimeout(5) instanceof esm.TimeoutError).toBe(true);
  });

  test('the brand stays invisible: errors compare and serialise as before', () => {
    const e = new esm.CrashedError('x', where);
    expect(Object.getOwnPropertySymbols(e)).toEqual([]);
    expect(JSON.parse(JSON.stringify(e))).toEqual({ name: 'CrashedError', code: 'CRASHED', plugin: 'p', tool: 't', driver: 'process', data: {} });
  });
});
