import type { LogLevel } from '@clawdesk/sandbox';
import { createApi, resolveToolFactories, type ApiEnv } from '../../src/child/api.js';

function setup() {
  const logs: [LogLevel, string][] = [];
  const env: ApiEnv = {
    config: { entry: '/p/index.js', dir: '/p', id: 'p', name: 'P', description: 'd', version: '1.0.0', pluginConfig: { a: 1 } },
    dataDir: '/data/p',
    log: (level, message) => logs.push([level, message]),
  };
  return { env, logs, ...createApi(env) };
}

const tool = (name: string) => ({ name, description: name, parameters: { type: 'object' }, execute: () => 'ok' });

describe('the OpenClaw api object', () => {
  test('is a plain object whose methods survive a spread, without this', () => {
    const { api, registrations } = setup();
    expect(Object.getPrototypeOf(api)).toBe(Object.prototype);
    const spread = { ...api } as Record<string, (...args: unknown[]) => unknown>;
    spread.registerTool!(tool('t1'));
    spread.on!('before_tool_call', () => undefined);
    spread.registerHook!(['a', 'b'], () => undefined, { name: 'x' });
    expect([...registrations.tools.keys()]).toEqual(['t1']);
    expect(registrations.hooks.names()).toEqual(['before_tool_call', 'a', 'b']);
  });

  test('exposes the plugin identity, its config, an empty gateway config and paths in the data dir', () => {
    const { api } = setup();
    expect(api).toMatchObject({ id: 'p', name: 'P', version: '1.0.0', description: 'd', source: '/p/index.js', pluginConfig: { a: 1 }, config: {} });
    const resolvePath = api.resolvePath as (p: string) => string;
    expect(resolvePath('state/x.json')).toBe('/data/p/state/x.json');
    expect(resolvePath('/abs')).toBe('/abs');
  });

  test('logger lines become host logs with OpenClaw-style extra arguments formatted in', () => {
    const { api, logs } = setup();
    const logger = api.logger as Record<LogLevel, (...a: unknown[]) => void>;
    logger.info('ready', { n: 2 });
    logger.error('failed:', new TypeError('bad'));
    expect(logs).toEqual([
      ['info', 'ready { n: 2 }'],
      ['error', 'failed: TypeError: bad'],
    ]);
  });

  test('records registrations the host cannot serve instead of failing', () => {
    const { api, registrations } = setup();
    const call = (method: string, ...args: unknown[]) => (api[method] as (...a: unknown[]) => void)(...args);
    call('registerCommand', { name: 'status', handler() {} });
    call('registerCli', () => undefined, { commands: ['setup', 'doctor'] });
    call('registerCli', () => undefined);
    call('registerGatewayMethod', 'p.status', () => ({}));
    call('registerHttpRoute', { path: '/hook', handler() {} });
    call('registerChannel', { plugin: { id: 'chat' } });
    call('registerProvider', {});
    expect(registrations.unsupported).toEqual([
      { kind: 'command', name: 'status' },
      { kind: 'cli', name: 'setup' },
      { kind: 'cli', name: 'doctor' },
      { kind: 'cli', name: '(cli)' },
      { kind: 'gateway-method', name: 'p.status' },
      { kind: 'http-route', name: '/hook' },
      { kind: 'channel', name: 'chat' },
      { kind: 'provider', name: '(unnamed)' },
    ]);
  });

  test('rejects malformed registrations with a message naming the problem', () => {
    const { api } = setup();
    const call = (method: string, ...args: unknown[]) => () => (api[method] as (...a: unknown[]) => void)(...args);
    expect(call('registerTool', tool('dup'))).not.toThrow();
    expect(call('registerTool', tool('dup'))).toThrow('registerTool: a tool named "dup" is already registered');
    expect(call('on', '', () => undefined)).toThrow('on: the hook name must be a non-empty string');
    expect(call('registerHook', [], () => undefined)).toThrow('registerHook: events must be a non-empty string or an array of them');
    expect(call('registerService', { id: 's' })).toThrow('registerService: service "s" needs a start() function');
  });

  test('ignores registrations after register() returned, with a warning', () => {
    const { api, registrations, seal, logs } = setup();
    seal();
    (api.registerTool as (t: unknown) => void)(tool('late'));
    expect(registrations.tools.size).toBe(0);
    expect(logs).toEqual([['warn', 'registerTool called after register() returned; ignored']]);
  });

  test('tool factories are called with a context and may return one tool, several or none', async () => {
    const { api, registrations, env, logs } = setup();
    const registerTool = api.registerTool as (t: unknown, o?: unknown) => void;
    let seen: unknown;
    registerTool((ctx: unknown) => {
      seen = ctx;
      return tool('one');
    });
    registerTool(() => [tool('two'), tool('three')]);
    registerTool(() => null, { name: 'optional' });
    await resolveToolFactories(registrations, env);
    expect(seen).toEqual({ config: {}, workspaceDir: '/data/p', pluginConfig: { a: 1 } });
    expect([...registrations.tools.keys()]).toEqual(['one', 'two', 'three']);
    expect(logs).toEqual([['warn', 'registerTool factory did not return the tools it named: optional']]);
  });
});
