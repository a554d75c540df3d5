import { readFileSync } from 'node:fs';
import * as api from '../src/index.js';

test('the package exposes exactly its documented API', () => {
  expect(Object.keys(api).sort()).toEqual([
    'DEFAULT_CHANNEL_BYTES',
    'DEFAULT_HOST_SPIN_MICROS',
    'DEFAULT_MAX_OUTPUT_BYTES',
    'DEFAULT_SPARE_IDLE_MS',
    'DEFAULT_START_TIMEOUT_MS',
    'DEFAULT_WORKER_SPIN_MICROS',
    'PACKAGE_NAME',
    'WASM_PAGE_BYTES',
    'WasmBinaryError',
    'capMemory',
    'createWasmDriver',
  ]);
  expect(api.PACKAGE_NAME).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).name);
});

test('the export map offers the root entry only (the worker file is internal)', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
  expect(Object.keys(pkg.exports)).toEqual(['.', './package.json']);
});
