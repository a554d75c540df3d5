import * as api from '../src/index.js';
import type { Capability, LoadedManifest, PluginManifest, PluginPermissions, Runtime, SandboxKind, Slot, ToolDef } from '../src/index.js';

// The field contract other packages code against. A change to the schema that alters these
// types fails type-checking here (tsc runs over the tests).
interface ContractToolDef {
  name: string;
  description: string;
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
}
interface ContractPermissions {
  network: { allowedHosts: string[] };
  fs: { read: string[]; write: string[] };
  env: string[];
  memoryMb: number;
}
interface ContractManifest {
  name: string;
  displayName?: string;
  version: string;
  description: string;
  author: string;
  runtime: 'node' | 'bun' | 'deno' | 'wasm';
  sandbox: 'wasm' | 'process' | 'native' | 'remote';
  entry: string;
  args: string[];
  url?: string;
  capabilities: ('tool_call' | 'message_transform' | 'channel_adapter' | 'event_listener')[];
  channels: string[];
  slots: ('memory' | 'context_engine')[];
  hooks: string[];
  tools: ContractToolDef[];
  minCallIntervalMs: number;
  timeoutMs: number;
  startTimeoutMs?: number;
  requires?: string;
  browserCdn: { downloadRules: { matchHosts: string[]; referer: string }[] };
  permissions: ContractPermissions;
  configSchema?: Record<string, unknown>;
  extra: Record<string, unknown>;
  dir: string;
  manifestFile: string;
  format: 'json5' | 'openclaw';
}

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(proof: Equal<A, B>): Equal<A, B> => proof;

describe('public API', () => {
  test('exports exactly these names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'CAPABILITIES',
      'MANIFEST_FILE',
      'MAX_MANIFEST_BYTES',
      'ManifestError',
      'OPENCLAW_MANIFEST_FILE',
      'RUNTIMES',
      'SANDBOX_KINDS',
      'SLOTS',
      'loadManifest',
      'manifestJsonSchema',
      'mcpServerManifest',
      'mcpServerManifestDoc',
      'parseManifest',
      'scanPlugins',
      'serializeManifest',
      'toManifestJson',
      'validateManifest',
    ]);
  });

  test('types match the field contract', () => {
    expect(same<{ [K in keyof PluginManifest]: PluginManifest[K] }, ContractManifest>(true)).toBe(true);
    expect(same<ToolDef, ContractToolDef>(true)).toBe(true);
    expect(same<PluginPermissions, ContractPermissions>(true)).toBe(true);
    expect(same<Runtime, ContractManifest['runtime']>(true)).toBe(true);
    expect(same<SandboxKind, ContractManifest['sandbox']>(true)).toBe(true);
    expect(same<Capability, ContractManifest['capabilities'][number]>(true)).toBe(true);
    expect(same<Slot, ContractManifest['slots'][number]>(true)).toBe(true);
    expect(same<Omit<LoadedManifest, 'warnings'>, Omit<PluginManifest, never>>(true)).toBe(true);
  });

  test('vocabularies', () => {
    expect(api.RUNTIMES).toEqual(['node', 'bun', 'deno', 'wasm']);
    expect(api.SANDBOX_KINDS).toEqual(['wasm', 'process', 'native', 'remote']);
    expect(api.CAPABILITIES).toEqual(['tool_call', 'message_transform', 'channel_adapter', 'event_listener']);
    expect(api.SLOTS).toEqual(['memory', 'context_engine']);
    expect(api.MAX_MANIFEST_BYTES).toBe(1048576);
    expect([api.MANIFEST_FILE, api.OPENCLAW_MANIFEST_FILE]).toEqual(['plugin.json5', 'openclaw.plugin.json']);
  });

  test('ManifestError is an Error with a stable name, code, file and problems', () => {
    const error = new api.ManifestError('MANIFEST_INVALID', 'f.json5', [{ path: 'a.b', message: 'bad' }]);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ManifestError');
    expect(error.message).toBe('Invalid plugin manifest f.json5 (1 problem):\n  - a.b: bad');
  });
});
