import {
  CancelledError,
  CrashedError,
  DisposedError,
  InvalidArgumentsError,
  InvalidOutputError,
  isSandboxError,
  IsolationUnavailableError,
  LoadFailedError,
  MemoryLimitError,
  OutputTooLargeError,
  PermissionDeniedError,
  RuntimeMissingError,
  SandboxError,
  type SandboxErrorCode,
  TimeoutError,
  ToolError,
  ToolNotFoundError,
} from '../src/index.js';

const at = { plugin: 'weather', tool: 'get_weather', driver: 'process' };

interface Case {
  error: SandboxError;
  type: abstract new (...args: never[]) => SandboxError;
  code: SandboxErrorCode;
  message: string;
  data?: Record<string, unknown>;
}

const cases: Case[] = [
  {
    error: new MemoryLimitError(128, at),
    type: MemoryLimitError,
    code: 'MEMORY_LIMIT',
    message: 'plugin "weather", tool "get_weather" exceeded its memory cap of 128 MB (permissions.memoryMb)',
    data: { limitMb: 128 },
  },
  {
    error: new IsolationUnavailableError('no user namespaces', 'enable kernel.unprivileged_userns_clone', { plugin: 'weather' }),
    type: IsolationUnavailableError,
    code: 'ISOLATION_UNAVAILABLE',
    message: 'plugin "weather" needs OS isolation, unavailable here: no user namespaces; enable kernel.unprivileged_userns_clone',
    data: { missing: 'no user namespaces', install: 'enable kernel.unprivileged_userns_clone' },
  },
  {
    error: new TimeoutError(500, { ...at, elapsedMs: 512 }),
    type: TimeoutError,
    code: 'TIMEOUT',
    message: 'plugin "weather", tool "get_weather" timed out after 500 ms',
    data: { timeoutMs: 500, elapsedMs: 512 },
  },
  {
    error: new CrashedError('exit code 3', { ...at, data: { exitCode: 3, signal: null } }),
    type: CrashedError,
    code: 'CRASHED',
    message: 'plugin "weather", tool "get_weather" crashed: exit code 3',
    data: { exitCode: 3, signal: null },
  },
  {
    error: new ToolNotFoundError('get_wether', { plugin: 'weather', available: ['get_weather', 'forecast'] }),
    type: ToolNotFoundError,
    code: 'TOOL_NOT_FOUND',
    message: 'plugin "weather" has no tool "get_wether" (available: get_weather, forecast)',
    data: { available: ['get_weather', 'forecast'] },
  },
  {
    error: new InvalidArgumentsError([{ path: 'city', message: 'expected string' }, { path: '', message: 'extra key' }], at),
    type: InvalidArgumentsError,
    code: 'INVALID_ARGUMENTS',
    message: 'invalid arguments for plugin "weather", tool "get_weather": city: expected string; (root): extra key',
  },
  {
    error: new InvalidOutputError('line 3 is not JSON', at),
    type: InvalidOutputError,
    code: 'INVALID_OUTPUT',
    message: 'plugin "weather", tool "get_weather" returned invalid output: line 3 is not JSON',
  },
  {
    error: new PermissionDeniedError('host "evil.example" is not in network.allowedHosts', { plugin: 'weather' }),
    type: PermissionDeniedError,
    code: 'PERMISSION_DENIED',
    message: 'plugin "weather" permission denied: host "evil.example" is not in network.allowedHosts',
  },
  {
    error: new OutputTooLargeError(1024, { ...at, bytes: 4096 }),
    type: OutputTooLargeError,
    code: 'OUTPUT_TOO_LARGE',
    message: 'plugin "weather", tool "get_weather" output exceeds 1024 bytes',
    data: { limitBytes: 1024, bytes: 4096 },
  },
  {
    error: new RuntimeMissingError('deno', 'npm install deno', { plugin: 'weather' }),
    type: RuntimeMissingError,
    code: 'RUNTIME_MISSING',
    message: 'runtime "deno" is not installed (needed by plugin "weather"): npm install deno',
    data: { runtime: 'deno', install: 'npm install deno' },
  },
  {
    error: new LoadFailedError('entry ./dist/index.js not found', { plugin: 'weather' }),
    type: LoadFailedError,
    code: 'LOAD_FAILED',
    message: 'plugin "weather" failed to load: entry ./dist/index.js not found',
  },
  {
    error: new ToolError('city not found', at),
    type: ToolError,
    code: 'TOOL_ERROR',
    message: 'plugin "weather", tool "get_weather" failed: city not found',
  },
  { error: new CancelledError(at), type: CancelledError, code: 'CANCELLED', message: 'plugin "weather", tool "get_weather" was cancelled' },
  { error: new DisposedError({ plugin: 'weather' }), type: DisposedError, code: 'DISPOSED', message: 'plugin "weather" was disposed' },
];

describe('sandbox errors', () => {
  test.each(cases)('$code: $type.name has a stable code, a message naming plugin and tool, and its data', ({ error, type, code, message, data }) => {
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(error.name).toBe(type.name);
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(SandboxError);
    expect(error).toBeInstanceOf(Error);
    expect(isSandboxError(error)).toBe(true);
    expect(error.data).toEqual(data ?? {});
  });

  test('every error code is covered by one class above', () => {
    expect(new Set(cases.map((c) => c.code)).size).toBe(cases.length);
  });

  test('plugin, tool and driver are kept as fields, so callers branch without parsing messages', () => {
    const error = new TimeoutError(100, at);
    expect([error.plugin, error.tool, error.driver]).toEqual(['weather', 'get_weather', 'process']);
    const bare = new DisposedError();
    expect([bare.plugin, bare.tool, bare.driver]).toEqual([undefined, undefined, undefined]);
  });

  test('without plugin or tool the messages still read as sentences', () => {
    expect(new TimeoutError(250).message).toBe('call timed out after 250 ms');
    expect(new CrashedError('signal SIGKILL').message).toBe('plugin crashed: signal SIGKILL');
    expect(new ToolNotFoundError('x').message).toBe('no tool "x"');
    expect(new DisposedError().message).toBe('sandbox was disposed');
    expect(new CancelledError().message).toBe('call was cancelled');
  });

  test('the cause is kept, and a cancel reason becomes the cause', () => {
    const reason = new Error('user pressed stop');
    expect(new CancelledError({ reason }).cause).toBe(reason);
    const cause = new SyntaxError('Unexpected token');
    expect(new InvalidOutputError('not JSON', { cause }).cause).toBe(cause);
    expect('cause' in new ToolError('x')).toBe(false);
  });

  test('ToolNotFoundError records the tool and the available tools even without a plugin', () => {
    const error = new ToolNotFoundError('nope');
    expect(error.tool).toBe('nope');
    expect(error.data).toEqual({ available: [] });
  });

  test('InvalidArgumentsError exposes every problem', () => {
    const problems = [
      { path: 'days', message: 'too big' },
      { path: 'units', message: 'invalid enum' },
    ];
    expect(new InvalidArgumentsError(problems).problems).toEqual(problems);
  });

  test('isSandboxError is false for plain errors and non-errors', () => {
    expect(isSandboxError(new Error('x'))).toBe(false);
    expect(isSandboxError({ code: 'TIMEOUT' })).toBe(false);
    expect(isSandboxError(undefined)).toBe(false);
  });
});
