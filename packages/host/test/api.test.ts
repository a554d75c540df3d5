import * as api from '../src/index.js';

test('the public runtime surface of @clawdesk/host is exactly this list', () => {
  expect(Object.keys(api).sort()).toEqual([
    'ChannelNotFoundError',
    'DEFAULT_DEBOUNCE_MS',
    'DEFAULT_DOWNLOAD_POLICY',
    'DEFAULT_DRAIN_TIMEOUT_MS',
    'DEFAULT_RESTART_POLICY',
    'DEFAULT_START_TIMEOUT_MS',
    'DRIVER_PACKAGES',
    'DownloadFailedError',
    'DriverMissingError',
    'HostClosedError',
    'HostError',
    'IncompatibleHostError',
    'InstallError',
    'InvalidOptionsError',
    'NotActiveError',
    'PluginCallError',
    'PluginNotFoundInDirsError',
    'createHost',
    'createNativeDriver',
    'silentLogger',
  ]);
});

test('the documented defaults hold', () => {
  expect(api.DEFAULT_RESTART_POLICY).toEqual({ initialDelayMs: 100, factor: 2, maxDelayMs: 5000, maxCrashes: 5, windowMs: 60_000 });
  expect(api.DEFAULT_DRAIN_TIMEOUT_MS).toBe(5000);
  expect(api.DEFAULT_START_TIMEOUT_MS).toBe(15_000);
  expect(api.DEFAULT_DOWNLOAD_POLICY).toEqual({ maxBytes: 50 * 1024 * 1024, maxRedirects: 5, timeoutMs: 120_000, maxTotalBytes: 1024 * 1024 * 1024 });
});
