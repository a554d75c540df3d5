import { MAX_MANIFEST_BYTES, parseManifest, type ManifestErrorCode, type ManifestProblem } from '../src/index.js';
import { catchManifestError } from './helpers.js';

const FILE = '/plugins/p/plugin.json5';
const parse = (text: string) => parseManifest(text, { file: FILE, format: 'json5' });
/** A valid manifest with `fields` spliced in (JSON5 object body, no braces). */
const withFields = (fields: string) => `{ name: "p", ${fields} }`;

interface InvalidCase {
  title: string;
  text: string;
  code: ManifestErrorCode;
  problems: ManifestProblem[];
}

const invalidCases: InvalidCase[] = [
  {
    title: 'a JSON5 syntax error, with line and column',
    text: '{\n  name: "p"\n  version: "1.0.0"\n}',
    code: 'MANIFEST_SYNTAX',
    problems: [{ path: '', message: "invalid character 'v' at line 3, column 3", line: 3, column: 3 }],
  },
  {
    title: 'a JSON syntax error (unterminated document)',
    text: '{"name": "p",',
    code: 'MANIFEST_SYNTAX',
    problems: [{ path: '', message: 'invalid end of input at line 1, column 14', line: 1, column: 14 }],
  },
  {
    title: 'empty text',
    text: '',
    code: 'MANIFEST_SYNTAX',
    problems: [{ path: '', message: 'invalid end of input at line 1, column 1', line: 1, column: 1 }],
  },
  { title: 'a top-level array', text: '[]', code: 'MANIFEST_INVALID', problems: [{ path: '', message: 'the manifest must be an object, got an array' }] },
  { title: 'a top-level number', text: '42', code: 'MANIFEST_INVALID', problems: [{ path: '', message: 'the manifest must be an object, got number 42' }] },
  { title: 'a top-level null', text: 'null', code: 'MANIFEST_INVALID', problems: [{ path: '', message: 'the manifest must be an object, got null' }] },
  {
    title: 'neither name nor id',
    text: '{ version: "1.0.0" }',
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'name', message: 'required: give the plugin a "name" (or "id")' }],
  },
  {
    title: 'a name that is not an identifier',
    text: '{ name: "../evil" }',
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'name', message: 'must be letters, digits, ".", "_" or "-", starting with a letter or digit; got "../evil"' }],
  },
  {
    title: 'a version that is not semver',
    text: withFields('version: "1.0"'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'version', message: 'must be a semver version like "1.2.3", got "1.0"' }],
  },
  {
    title: 'a "v"-prefixed version',
    text: withFields('version: "v1.0.0"'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'version', message: 'must be a semver version like "1.2.3", got "v1.0.0"' }],
  },
  {
    title: 'an unknown runtime, listing the allowed ones',
    text: withFields('runtime: "python"'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'runtime', message: 'expected one of "node", "bun", "deno", "wasm"; got string "python"' }],
  },
  {
    title: 'an absolute entry',
    text: withFields('entry: "/usr/lib/evil.js"'),
    code: 'MANIFEST_ENTRY_ESCAPE',
    problems: [{ path: 'entry', message: 'must be relative to the plugin directory, got absolute path "/usr/lib/evil.js"' }],
  },
  {
    title: 'a Windows absolute entry',
    text: withFields('entry: "C:\\\\evil.js"'),
    code: 'MANIFEST_ENTRY_ESCAPE',
    problems: [{ path: 'entry', message: 'must be relative to the plugin directory, got absolute path "C:\\\\evil.js"' }],
  },
  {
    title: 'an entry escaping with ..',
    text: withFields('entry: "./dist/../../other/index.js"'),
    code: 'MANIFEST_ENTRY_ESCAPE',
    problems: [{ path: 'entry', message: 'must stay inside the plugin directory, but "./dist/../../other/index.js" climbs out with ".."' }],
  },
  {
    title: 'an entryPoint alias escaping with backslashes',
    text: withFields('entryPoint: "..\\\\x.js"'),
    code: 'MANIFEST_ENTRY_ESCAPE',
    problems: [{ path: 'entryPoint', message: 'must stay inside the plugin directory, but "..\\\\x.js" climbs out with ".."' }],
  },
  {
    title: 'two entry aliases at once',
    text: withFields('entry: "a.js", entry_point: "b.js"'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'entry_point', message: 'conflicts with "entry"; give only one of "entry", "entryPoint", "entry_point"' }],
  },
  {
    title: 'tools that are not an array',
    text: withFields('tools: { name: "t" }'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'tools', message: 'expected an array, got an object' }],
  },
  {
    title: 'a tool without a name',
    text: withFields('tools: [{ name: "a" }, { name: "b" }, { description: "no name" }]'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'tools[2].name', message: 'required: expected a string' }],
  },
  {
    title: 'two tools with the same name',
    text: withFields('tools: [{ name: "a" }, { name: "b" }, { name: "a" }]'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'tools[2].name', message: 'duplicate tool name "a" (first at tools[0])' }],
  },
  {
    title: 'a negative timeoutMs',
    text: withFields('timeoutMs: -5'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'timeoutMs', message: 'must be greater than 0, got number -5' }],
  },
  {
    title: 'a zero timeoutMs',
    text: withFields('timeoutMs: 0'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'timeoutMs', message: 'must be greater than 0, got number 0' }],
  },
  {
    title: 'a non-integer timeoutMs',
    text: withFields('timeoutMs: 1.5'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'timeoutMs', message: 'expected an integer, got number 1.5' }],
  },
  {
    title: 'a timeoutMs beyond what timers can wait',
    text: withFields('timeoutMs: 2147483648'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'timeoutMs', message: 'must be at most 2147483647, got number 2147483648' }],
  },
  {
    title: 'a negative minCallIntervalMs',
    text: withFields('minCallIntervalMs: -1'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'minCallIntervalMs', message: 'must be at least 0, got number -1' }],
  },
  {
    title: 'a non-integer minCallIntervalMs',
    text: withFields('minCallIntervalMs: 0.5'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'minCallIntervalMs', message: 'expected an integer, got number 0.5' }],
  },
  {
    title: 'a string where a number belongs',
    text: withFields('timeoutMs: "5000"'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'timeoutMs', message: 'expected a number, got string "5000"' }],
  },
  {
    title: 'a download rule without matchHosts',
    text: withFields('browserCdn: { downloadRules: [{ matchHosts: ["a.com"], referer: "r" }, { referer: "https://x/" }] }'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'browserCdn.downloadRules[1].matchHosts', message: 'required: expected an array' }],
  },
  {
    title: 'a download rule with empty matchHosts',
    text: withFields('browserCdn: { downloadRules: [{ matchHosts: [], referer: "r" }] }'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'browserCdn.downloadRules[0].matchHosts', message: 'must list at least 1 item' }],
  },
  {
    title: 'a requires that is not a semver range',
    text: withFields('requiresRsclaw: "soon"'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'requiresRsclaw', message: 'must be a semver range like ">=1.2.0", got "soon"' }],
  },
  {
    title: 'a wasm sandbox for a node runtime',
    text: withFields('sandbox: "wasm"'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'sandbox', message: '"wasm" needs runtime "wasm", got runtime "node"' }],
  },
  {
    title: 'a native sandbox for a wasm runtime',
    text: withFields('runtime: "wasm", sandbox: "native"'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'sandbox', message: 'runtime "wasm" runs only in the "wasm" sandbox, got "native"' }],
  },
  {
    title: 'capabilities missing what tools, channels and hooks need',
    text: withFields('capabilities: ["event_listener"], tools: [{ name: "t" }], channels: ["irc"], hooks: ["message_transform", "on_start"]'),
    code: 'MANIFEST_INVALID',
    problems: [
      { path: 'capabilities', message: 'lacks "tool_call", needed by the declared tools' },
      { path: 'capabilities', message: 'lacks "message_transform", needed by the "message_transform" hook' },
      { path: 'capabilities', message: 'lacks "channel_adapter", needed by the declared channels' },
    ],
  },
  {
    title: 'an absolute fs permission path',
    text: withFields('permissions: { fs: { read: ["./data", "/etc"] } }'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'permissions.fs.read[1]', message: 'must be relative to the plugin directory, got absolute path "/etc"' }],
  },
  {
    title: 'an fs permission path escaping with ..',
    text: withFields('permissions: { fs: { write: ["../shared"] } }'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'permissions.fs.write[0]', message: 'must stay inside the plugin directory, but "../shared" climbs out with ".."' }],
  },
  {
    title: 'an unknown permission',
    text: withFields('permissions: { netwrok: { allowedHosts: ["x"] }, memoryMb: 0 }'),
    code: 'MANIFEST_INVALID',
    problems: [
      { path: 'permissions.memoryMb', message: 'must be greater than 0, got number 0' },
      { path: 'permissions.netwrok', message: 'unknown field' },
    ],
  },
  {
    title: 'an env entry that is not a variable name',
    text: withFields('permissions: { env: ["OK_1", "NOT OK"] }'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'permissions.env[1]', message: 'must be an environment variable name, got "NOT OK"' }],
  },
  {
    title: 'an author that is neither a string nor {name}',
    text: withFields('author: 7'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'author', message: 'expected a string or an object with a string "name", got number 7' }],
  },
  {
    title: 'an unknown slot and capability',
    text: withFields('slots: ["memory", "disk"], capabilities: ["tool_call", "telepathy"]'),
    code: 'MANIFEST_INVALID',
    problems: [
      { path: 'capabilities[1]', message: 'expected one of "tool_call", "message_transform", "channel_adapter", "event_listener"; got string "telepathy"' },
      { path: 'slots[1]', message: 'expected one of "memory", "context_engine"; got string "disk"' },
    ],
  },
  {
    title: 'a configSchema that is not an object',
    text: withFields('configSchema: "none"'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'configSchema', message: 'expected an object, got string "none"' }],
  },
  {
    title: 'args that are not strings',
    text: withFields('args: ["--root", 3]'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'args[1]', message: 'expected a string, got number 3' }],
  },
  {
    title: 'a remote plugin without a url',
    text: withFields('sandbox: "remote"'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'url', message: 'is required with sandbox "remote" (the MCP endpoint, e.g. "https://tools.example.com/mcp")' }],
  },
  {
    title: 'a url on a local plugin',
    text: withFields('url: "https://tools.example.com/mcp"'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'url', message: 'is only for sandbox "remote", got sandbox null' }],
  },
  {
    title: 'a remote url that is not http(s)',
    text: withFields('sandbox: "remote", url: "file:///etc/passwd"'),
    code: 'MANIFEST_INVALID',
    problems: [{ path: 'url', message: 'must be an http(s) URL, got string "file:///etc/passwd"' }],
  },
];

describe('parseManifest rejects', () => {
  test.each(invalidCases)('$title', ({ text, code, problems }) => {
    const error = catchManifestError(() => parse(text));
    expect(error.code).toBe(code);
    expect(error.file).toBe(FILE);
    expect(error.problems).toEqual(problems);
    expect(error.message).toContain(FILE);
    for (const p of problems) expect(error.message).toContain(p.message);
  });
});

describe('parseManifest', () => {
  test('reports every problem at once, in one message naming the file', () => {
    const error = catchManifestError(() =>
      parse('{ version: "x", runtime: "py", tools: [{ name: 1 }, { name: "a" }, { name: "a" }], timeoutMs: -1, entry: "/abs" }'),
    );
    expect(error.code).toBe('MANIFEST_ENTRY_ESCAPE');
    expect(error.problems.map((p) => p.path)).toEqual(['version', 'runtime', 'entry', 'tools[0].name', 'timeoutMs', 'name', 'tools[2].name']);
    expect(error.message).toBe(
      [
        `Plugin entry leaves the plugin directory in ${FILE} (7 problems):`,
        '  - version: must be a semver version like "1.2.3", got "x"',
        '  - runtime: expected one of "node", "bun", "deno", "wasm"; got string "py"',
        '  - entry: must be relative to the plugin directory, got absolute path "/abs"',
        '  - tools[0].name: expected a string, got number 1',
        '  - timeoutMs: must be greater than 0, got number -1',
        '  - name: required: give the plugin a "name" (or "id")',
        '  - tools[2].name: duplicate tool name "a" (first at tools[1])',
      ].join('\n'),
    );
  });

  test('text over 1 MiB is MANIFEST_TOO_LARGE without being parsed', () => {
    const error = catchManifestError(() => parse(`{${' '.repeat(MAX_MANIFEST_BYTES)}`));
    expect(error.code).toBe('MANIFEST_TOO_LARGE');
    expect(error.problems[0]?.path).toBe('');
  });

  test('the size cap counts UTF-8 bytes, not characters', () => {
    const body = `{ name: "p", description: "${'é'.repeat(MAX_MANIFEST_BYTES / 2)}" }`;
    expect(catchManifestError(() => parse(body)).code).toBe('MANIFEST_TOO_LARGE');
  });

  test('accepts a BOM, comments, trailing commas, single quotes and unknown fields', () => {
    const m = parse("\uFEFF{\n  // the id\n  name: 'p', /* block */\n  hooks: ['on_start',],\n  futureField: { nested: [1, 2,], },\n}");
    expect(m.name).toBe('p');
    expect(m.hooks).toEqual(['on_start']);
    expect(m.extra).toEqual({ futureField: { nested: [1, 2] } });
  });

  test('accepts plain JSON', () => {
    expect(parse('{"name": "p", "version": "1.2.3-beta.1+build.5"}').version).toBe('1.2.3-beta.1+build.5');
  });

  test('falls back from name to id, and keeps name when both are given', () => {
    expect(parse('{ id: "by-id" }').name).toBe('by-id');
    const both = parse('{ name: "by-name", id: "by-id" }');
    expect(both.name).toBe('by-name');
    expect(both.extra).toEqual({});
  });

  test('resolves entry aliases and requiresRsclaw', () => {
    expect(parse(withFields('entryPoint: "./a.js"')).entry).toBe('./a.js');
    expect(parse(withFields('entry_point: "b/c.js"')).entry).toBe('b/c.js');
    expect(parse(withFields('requiresRsclaw: ">=2026.1.0"')).requires).toBe('>=2026.1.0');
    expect(parse(withFields('requires: "^1.2.0"')).requires).toBe('^1.2.0');
    expect(parse(withFields('entry: "./dist/../main.js"')).entry).toBe('./dist/../main.js');
  });

  test('keeps args (default none) and a remote plugin\'s url', () => {
    expect(parse(withFields('')).args).toEqual([]);
    expect(parse(withFields('args: ["${pluginDir}/data", "--flag"]')).args).toEqual(['${pluginDir}/data', '--flag']);
    const remote = parse(withFields('sandbox: "remote", url: "https://tools.example.com/mcp"'));
    expect(remote).toMatchObject({ sandbox: 'remote', url: 'https://tools.example.com/mcp' });
  });

  test('derives the sandbox from the runtime', () => {
    expect(parse(withFields('runtime: "wasm"')).sandbox).toBe('wasm');
    expect(parse(withFields('runtime: "bun"')).sandbox).toBe('process');
    expect(parse(withFields('runtime: "deno", sandbox: "native"')).sandbox).toBe('native');
  });

  test('derives capabilities from tools, channels and hooks when absent', () => {
    expect(parse(withFields('')).capabilities).toEqual([]);
    expect(parse(withFields('tools: [{ name: "t" }]')).capabilities).toEqual(['tool_call']);
    expect(parse(withFields('hooks: ["message_transform"]')).capabilities).toEqual(['message_transform']);
    expect(parse(withFields('hooks: ["on_start", "message_transform"], channels: ["irc"], tools: [{ name: "t" }]')).capabilities).toEqual([
      'tool_call',
      'message_transform',
      'channel_adapter',
      'event_listener',
    ]);
  });

  test('keeps declared capabilities that go beyond the declarations (tools may be listed at runtime)', () => {
    expect(parse(withFields('capabilities: ["tool_call", "channel_adapter"]')).capabilities).toEqual(['tool_call', 'channel_adapter']);
  });

  test('takes an author object by its name', () => {
    expect(parse(withFields('author: { name: "Ada", email: "ada@example.com" }')).author).toBe('Ada');
    expect(parse(withFields('author: "Grace"')).author).toBe('Grace');
  });

  test('fills nested defaults of permissions and browserCdn', () => {
    const m = parse(withFields('permissions: { network: { allowedHosts: ["api.example.com"] }, fs: { read: ["./data"] } }'));
    expect(m.permissions).toEqual({ network: { allowedHosts: ['api.example.com'] }, fs: { read: ['./data'], write: [] }, env: [], memoryMb: 128 });
    expect(parse(withFields('browserCdn: {}')).browserCdn).toEqual({ downloadRules: [] });
  });

  test('dir defaults to the directory of file; manifestFile is file as given', () => {
    const m = parseManifest('{ name: "p" }', { file: 'in-memory.json5', format: 'json5', dir: '/x/y' });
    expect(m.dir).toBe('/x/y');
    expect(m.manifestFile).toBe('in-memory.json5');
    expect(parse('{ name: "p" }').dir).toBe('/plugins/p');
  });

  test('a __proto__ key neither pollutes prototypes nor lands in extra', () => {
    const m = parse('{ name: "p", __proto__: { polluted: true }, constructor: 1, nested: { __proto__: { polluted: true } } }');
    expect(m.extra['constructor']).toBe(1);
    expect(Object.keys(m.extra)).toEqual(['constructor', 'nested']);
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
