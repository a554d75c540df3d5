import * as api from '../src/index.js';

describe('the public API of @clawdesk/openclaw', () => {
  test('exports exactly the driver factory and its constants', () => {
    expect(Object.keys(api).sort()).toEqual(['OPENCLAW_LOAD_FAILED', 'OPENCLAW_SHIM_MODULES', 'PACKAGE_NAME', 'createOpenClawDriver']);
  });

  test('names the openclaw/* modules the runner provides', () => {
    expect(Object.keys(api.OPENCLAW_SHIM_MODULES)).toEqual(['openclaw/plugin-sdk', 'openclaw/plugin-sdk/core', 'openclaw/plugin-sdk/plugin-entry']);
  });
});
