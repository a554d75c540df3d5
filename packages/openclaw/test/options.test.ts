import { createOpenClawDriver } from '../src/driver.js';
import { resolveOptions } from '../src/options.js';

describe('createOpenClawDriver options', () => {
  test.each([
    [{ permissions: [] }, 'createOpenClawDriver: option "permissions" must be an object keyed by plugin id, got [] (object)'],
    [{ permissions: { p: 'all' } }, 'createOpenClawDriver: option "permissions.p" must be an object, got "all" (string)'],
    [
      { permissions: { p: { network: { allowedHosts: 'example.com' } } } },
      'createOpenClawDriver: option "permissions.p.network.allowedHosts" must be an array of non-empty strings, got "example.com" (string)',
    ],
    [{ permissions: { p: { fs: { read: [''] } } } }, 'createOpenClawDriver: option "permissions.p.fs.read" must be an array of non-empty strings, got [""] (object)'],
    [{ permissions: { p: { memoryMb: 1.5 } } }, 'createOpenClawDriver: option "permissions.p.memoryMb" must be an integer >= 16, got 1.5 (number)'],
  ])('rejects %j naming the option, what was expected and what arrived', (options, message) => {
    expect(() => createOpenClawDriver(options as never)).toThrow(new TypeError(message));
  });

  test('passes process driver options through and validates them there', () => {
    expect(() => createOpenClawDriver({ process: { startTimeoutMs: 0 } })).toThrow(
      'createProcessDriver: option "startTimeoutMs" must be an integer >= 1, got 0 (number)',
    );
    expect(resolveOptions({ process: { killGraceMs: 10 } }).process).toEqual({ killGraceMs: 10 });
  });
});
