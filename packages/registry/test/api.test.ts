import * as api from '../src/index.js';

test('the public runtime surface of @clawdesk/registry is exactly this list', () => {
  expect(Object.keys(api).sort()).toEqual([
    'AmbiguousToolError',
    'ChannelConflictError',
    'DuplicatePluginError',
    'InvalidTransitionError',
    'NameMismatchError',
    'PLUGIN_STATES',
    'PluginNotFoundError',
    'PluginRegistry',
    'RegistryError',
    'SlotConflictError',
    'TRANSITIONS',
    'canTransition',
    'qualify',
  ]);
});

test('the lifecycle table allows exactly the documented transitions', () => {
  expect(api.TRANSITIONS).toEqual({
    resolved: ['loaded', 'failed'],
    loaded: ['active', 'stopped', 'failed'],
    active: ['stopped', 'loaded', 'failed'],
    stopped: ['active', 'loaded', 'failed'],
    failed: ['loaded'],
  });
  expect(api.canTransition('failed', 'active')).toBe(false);
});
