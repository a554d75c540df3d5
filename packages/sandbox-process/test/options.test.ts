import {
  createProcessDriver,
  DEFAULT_CANCEL_GRACE_MS,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_LOG_LINES_PER_SECOND,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_START_TIMEOUT_MS,
  PACKAGE_NAME,
  type ProcessDriverOptions,
} from '../src/index.js';
import { resolveOptions } from '../src/options.js';

interface InvalidCase {
  options: unknown;
  message: string;
}

const invalid: InvalidCase[] = [
  { options: { startTimeoutMs: 0 }, message: 'createProcessDriver: option "startTimeoutMs" must be an integer >= 1, got 0 (number)' },
  { options: { startTimeoutMs: '5s' }, message: 'createProcessDriver: option "startTimeoutMs" must be an integer >= 1, got "5s" (string)' },
  { options: { cancelGraceMs: -1 }, message: 'createProcessDriver: option "cancelGraceMs" must be an integer >= 0, got -1 (number)' },
  { options: { killGraceMs: 1.5 }, message: 'createProcessDriver: option "killGraceMs" must be an integer >= 0, got 1.5 (number)' },
  { options: { maxMessageBytes: 10 }, message: 'createProcessDriver: option "maxMessageBytes" must be an integer >= 1024, got 10 (number)' },
  { options: { maxLogLinesPerSecond: 0 }, message: 'createProcessDriver: option "maxLogLinesPerSecond" must be an integer >= 1, got 0 (number)' },
  { options: { maxMessageBytes: null }, message: 'createProcessDriver: option "maxMessageBytes" must be an integer >= 1024, got null (null)' },
  { options: { runtimes: { python: '/usr/bin/python3' } }, message: 'createProcessDriver: option "runtimes" has unknown runtime "python" (expected one of node, bun, deno)' },
  { options: { runtimes: { bun: '' } }, message: 'createProcessDriver: option "runtimes.bun" must be a non-empty string, got "" (string)' },
  { options: { jitless: 1 }, message: 'createProcessDriver: option "jitless" must be a boolean, got 1 (number)' },
  { options: { allowAncestorNodeModules: 'no' }, message: 'createProcessDriver: option "allowAncestorNodeModules" must be a boolean, got "no" (string)' },
  { options: { permissions: [] }, message: 'createProcessDriver: option "permissions" must be an object keyed by plugin name, got [] (object)' },
  { options: { permissions: { fs: { fs: { read: '/srv' } } } }, message: 'createProcessDriver: option "permissions.fs.fs.read" must be an array of non-empty strings, got "/srv" (string)' },
  { options: { permissions: { p: { env: ['NOT OK'] } } }, message: 'createProcessDriver: option "permissions.p.env[0]" must be an environment variable name, got "NOT OK" (string)' },
  { options: { permissions: { p: { memoryMb: 1 } } }, message: 'createProcessDriver: option "permissions.p.memoryMb" must be an integer >= 16, got 1 (number)' },
  { options: { env: { p: { KEY: 1 } } }, message: 'createProcessDriver: option "env.p.KEY" must be a string, got 1 (number)' },
  { options: { env: { p: { 'A=B': 'x' } } }, message: 'createProcessDriver: option "env.p" has "A=B" (string), which is not an environment variable name' },
];

describe('createProcessDriver options', () => {
  test.each(invalid)('rejects $options before doing any work', ({ options, message }) => {
    expect(() => createProcessDriver(options as ProcessDriverOptions)).toThrow(new TypeError(message));
  });

  test('defaults are the documented constants', () => {
    expect(resolveOptions()).toEqual({
      runtimes: {},
      startTimeoutMs: DEFAULT_START_TIMEOUT_MS,
      cancelGraceMs: DEFAULT_CANCEL_GRACE_MS,
      killGraceMs: DEFAULT_KILL_GRACE_MS,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      maxLogLinesPerSecond: DEFAULT_MAX_LOG_LINES_PER_SECOND,
      allowAncestorNodeModules: true,
      isolation: 'prefer',
      permissions: {},
      env: {},
      jitless: false,
    });
    expect([DEFAULT_START_TIMEOUT_MS, DEFAULT_CANCEL_GRACE_MS, DEFAULT_KILL_GRACE_MS, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_LOG_LINES_PER_SECOND]).toEqual([
      15_000,
      100,
      2_000,
      16 * 1024 * 1024,
      1_000,
    ]);
  });

  test('the driver says what it is and which package provides it', () => {
    const driver = createProcessDriver();
    expect(driver.kind).toBe('process');
    expect(driver.packageName).toBe('@clawdesk/sandbox-process');
    expect(PACKAGE_NAME).toBe('@clawdesk/sandbox-process');
  });
});
