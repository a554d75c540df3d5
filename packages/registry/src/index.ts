/** @clawdesk/registry — every export here is public API. */
// First, before any dependency loads: on a Node too old for clawdesk this throws UnsupportedNodeError.
import '@clawdesk/sandbox/require-node';
export { PluginRegistry } from './registry.js';
export type {
  RegisterOptions,
  RegistryEntry,
  RegistryEntryInput,
  RegistryEvents,
  SlotChange,
  StateChange,
  ToolsChange,
} from './registry.js';

export { canTransition, PLUGIN_STATES, TRANSITIONS } from './states.js';
export type { PluginState } from './states.js';

export { qualify } from './tool-index.js';
export type { ToolConflict, ToolIndexEntry } from './tool-index.js';

export {
  AmbiguousToolError,
  ChannelConflictError,
  DuplicatePluginError,
  InvalidTransitionError,
  NameMismatchError,
  PluginNotFoundError,
  RegistryError,
  SlotConflictError,
} from './errors.js';
export type { RegistryErrorCode } from './errors.js';
