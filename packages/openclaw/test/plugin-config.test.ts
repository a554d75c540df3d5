import { parseManifest } from '@clawdesk/manifest';
import { validatePluginConfig } from '../src/plugin-config.js';

const withSchema = (configSchema?: Record<string, unknown>) =>
  parseManifest(JSON.stringify({ id: 'p', description: 'd', version: '1.0.0', entry: './index.js', ...(configSchema ? { configSchema } : {}) }), {
    file: '/plugins/p/openclaw.plugin.json',
    format: 'openclaw',
    dir: '/plugins/p',
  });

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['token'],
  properties: {
    token: { type: 'string', minLength: 1 },
    retries: { type: 'integer', default: 2 },
    nested: { type: 'object', properties: { on: { type: 'boolean', default: true } }, default: {} },
  },
};

describe('validatePluginConfig', () => {
  test('fills in the schema defaults, nested ones too, without touching the host config', () => {
    const config = Object.freeze({ token: 't' });
    expect(validatePluginConfig(withSchema(schema), config)).toEqual({ token: 't', retries: 2, nested: { on: true } });
    expect(config).toEqual({ token: 't' });
  });

  test('names every failing field in one LoadFailedError', () => {
    let error: unknown;
    try {
      validatePluginConfig(withSchema(schema), { retries: 'x', extra: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'LOAD_FAILED',
      plugin: 'p',
      message:
        'plugin "p" failed to load: its config does not match the configSchema of /plugins/p/openclaw.plugin.json: config.token must have required property \'token\'; config.extra must NOT have additional properties; config.retries must be integer',
      data: {
        problems: [
          { path: 'token', message: "must have required property 'token'" },
          { path: 'extra', message: 'must NOT have additional properties' },
          { path: 'retries', message: 'must be integer' },
        ],
      },
    });
  });

  test('a plugin without a configSchema gets the host config as is', () => {
    expect(validatePluginConfig(withSchema(), { anything: [1] })).toEqual({ anything: [1] });
  });

  test('an uncompilable configSchema is a load error, not a crash', () => {
    expect(() => validatePluginConfig(withSchema({ type: 'nonsense' }), {})).toThrow(/its configSchema is not a valid JSON Schema/);
  });
});

test('a configSchema with formats ajv does not know (uri, weird) validates without writing to the console', () => {
  const calls: unknown[][] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) console[m] = (...a: unknown[]) => void calls.push([m, ...a]);
  try {
    const m = withSchema({ type: 'object', properties: { home: { type: 'string', format: 'uri' }, odd: { type: 'string', format: 'weird' } } });
    expect(validatePluginConfig(m, { home: 'https://x', odd: 'y' })).toEqual({ home: 'https://x', odd: 'y' });
  } finally {
    methods.forEach((m, i) => (console[m] = saved[i] as (typeof console)[typeof m]));
  }
  expect(calls).toEqual([]);
});
