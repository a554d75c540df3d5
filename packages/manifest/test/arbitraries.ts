import fc from 'fast-check';
import { CAPABILITIES, RUNTIMES, SLOTS } from '../src/index.js';

/** Top-level keys the schema reads (aliases included); the contract of what lands in `extra`. */
export const KNOWN_KEYS = [
  'name', 'id', 'displayName', 'version', 'description', 'author', 'runtime', 'sandbox', 'entry', 'entryPoint',
  'entry_point', 'capabilities', 'channels', 'slots', 'hooks', 'tools', 'minCallIntervalMs', 'timeoutMs', 'startTimeoutMs',
  'requires', 'requiresRsclaw', 'browserCdn', 'permissions', 'configSchema', 'args', 'url',
];

const MAX_TIMER_MS = 2 ** 31 - 1;
const nonEmpty = fc.string({ minLength: 1, maxLength: 12 });
const identifier = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
const relativePath = fc
  .tuple(fc.constantFrom('', './'), fc.array(segment, { minLength: 1, maxLength: 3 }))
  .map(([prefix, parts]) => prefix + parts.join('/'));
const semverVersion = fc
  .tuple(fc.nat(99), fc.nat(99), fc.nat(99), fc.constantFrom('', '-alpha.1', '-rc.2', '+build.7'))
  .map(([a, b, c, tail]) => `${a}.${b}.${c}${tail}`);
const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
const extraKey = fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !KNOWN_KEYS.includes(k) && k !== '__proto__');

/**
 * A valid `plugin.json5` document (as a plain object): any subset of the fields, each with a
 * valid value, sandbox and capabilities consistent with the rest, plus unknown fields.
 */
export const validManifestDoc = fc
  .record(
    {
      name: identifier,
      useId: fc.boolean(),
      displayName: fc.string({ maxLength: 20 }),
      version: semverVersion,
      description: fc.string({ maxLength: 40 }),
      author: fc.oneof(fc.string({ maxLength: 10 }), fc.record({ name: fc.string({ maxLength: 10 }), email: fc.string({ maxLength: 10 }) })),
      runtime: fc.constantFrom(...RUNTIMES),
      sandbox: fc.constantFrom('derive', 'explicit', 'native'),
      entry: fc.tuple(fc.constantFrom('entry', 'entryPoint', 'entry_point'), relativePath),
      capabilities: fc.subarray([...CAPABILITIES]),
      channels: fc.array(nonEmpty, { maxLength: 3 }),
      slots: fc.subarray([...SLOTS]),
      hooks: fc.array(fc.oneof(fc.constant('message_transform'), nonEmpty), { maxLength: 3 }),
      tools: fc.uniqueArray(
        fc.record({ name: nonEmpty, description: fc.string({ maxLength: 20 }), inputSchema: jsonObject }, { requiredKeys: ['name'] }),
        { selector: (t) => t.name, maxLength: 4 },
      ),
      minCallIntervalMs: fc.integer({ min: 0, max: MAX_TIMER_MS }),
      timeoutMs: fc.integer({ min: 1, max: MAX_TIMER_MS }),
      startTimeoutMs: fc.integer({ min: 1, max: MAX_TIMER_MS }),
      requires: fc.tuple(fc.constantFrom('requires', 'requiresRsclaw'), fc.constantFrom('>=1.0.0', '^2.3.4', '1.x || >=3.0.0-rc.1', '*')),
      browserCdn: fc.record({
        downloadRules: fc.array(fc.record({ matchHosts: fc.array(nonEmpty, { minLength: 1, maxLength: 3 }), referer: fc.string({ maxLength: 20 }) }), {
          maxLength: 3,
        }),
      }),
      permissions: fc.record(
        {
          network: fc.record({ allowedHosts: fc.array(nonEmpty, { maxLength: 3 }) }),
          fs: fc.record({ read: fc.array(relativePath, { maxLength: 3 }), write: fc.array(relativePath, { maxLength: 3 }) }, { requiredKeys: [] }),
          env: fc.array(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), { maxLength: 3 }),
          memoryMb: fc.integer({ min: 1, max: 65536 }),
        },
        { requiredKeys: [] },
      ),
      configSchema: jsonObject,
      extra: fc.dictionary(extraKey, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
    },
    { requiredKeys: ['name', 'useId', 'sandbox', 'extra'] },
  )
  .map(({ name, useId, sandbox, entry, requires, capabilities, extra, ...fields }) => {
    const doc: Record<string, unknown> = { ...extra, ...fields, [useId ? 'id' : 'name']: name };
    const runtime = fields.runtime ?? 'node';
    if (sandbox === 'explicit') doc['sandbox'] = runtime === 'wasm' ? 'wasm' : 'process';
    if (sandbox === 'native' && runtime !== 'wasm') doc['sandbox'] = 'native';
    if (entry) doc[entry[0]] = entry[1];
    if (requires) doc[requires[0]] = requires[1];
    if (capabilities) {
      // Declared capabilities must cover what tools, channels and hooks imply.
      const implied = [
        (fields.tools ?? []).length > 0 && 'tool_call',
        (fields.hooks ?? []).includes('message_transform') && 'message_transform',
        (fields.channels ?? []).length > 0 && 'channel_adapter',
        (fields.hooks ?? []).some((h) => h !== 'message_transform') && 'event_listener',
      ].filter((c): c is string => c !== false);
      doc['capabilities'] = [...new Set([...capabilities, ...implied])];
    }
    return doc;
  });
