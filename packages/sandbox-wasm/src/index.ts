/** @clawdesk/sandbox-wasm — every export here is public API. */
// First, before any dependency loads: on a Node too old for clawdesk this throws UnsupportedNodeError.
import '@clawdesk/sandbox/require-node';
export { createWasmDriver, PACKAGE_NAME } from './driver.js';
export type { WasmDriver } from './driver.js';

export {
  DEFAULT_CHANNEL_BYTES,
  DEFAULT_HOST_SPIN_MICROS,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_SPARE_IDLE_MS,
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_WORKER_SPIN_MICROS,
} from './options.js';
export type { WasmDriverOptions } from './options.js';

export { capMemory, WASM_PAGE_BYTES, WasmBinaryError } from './wasm-binary.js';
export type { CappedModule, MemoryLimits, WasmBinaryProblem } from './wasm-binary.js';
