/** Options of `createRemoteDriver`; checked before any plugin loads. */
export interface RemoteDriverOptions {
  /**
   * Per plugin name: HTTP headers sent with every request to its server (e.g. `Authorization`).
   * Operator configuration only: a manifest cannot set headers, so a plugin cannot carry credentials.
   */
  headers?: Record<string, Record<string, string>>;
  /**
   * Per plugin name: hosts its `url` may point at, added to the manifest's
   * `permissions.network.allowedHosts`. The url's host must be listed in one of them; a loopback
   * or private address only as itself (e.g. `127.0.0.1:8080`), never through a name or wildcard.
   */
  allowedHosts?: Record<string, string[]>;
  /** Connect + `initialize` + `tools/list` limit when the host gives none. Default 10000 ms. */
  startTimeoutMs?: number;
}

export interface RemoteConfig {
  headers: Record<string, Record<string, string>>;
  allowedHosts: Record<string, string[]>;
  startTimeoutMs: number;
}

export const DEFAULT_REMOTE_START_TIMEOUT_MS = 10_000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => `${JSON.stringify(v) ?? String(v)} (${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v})`;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function resolveRemoteOptions(o: RemoteDriverOptions = {}): RemoteConfig {
  const fail = (option: string, expected: string, got: unknown): never => {
    throw new TypeError(`createRemoteDriver: option "${option}" must be ${expected}, got ${option.startsWith('headers.') ? '(hidden)' : show(got)}`);
  };
  const headers = o.headers ?? {};
  if (!isRecord(headers)) fail('headers', 'an object keyed by plugin name', headers);
  for (const [plugin, h] of Object.entries(headers)) {
    if (!isRecord(h)) fail(`headers.${plugin}`, 'an object of header name → value', h);
    for (const [name, value] of Object.entries(h as Record<string, unknown>)) {
      if (!HEADER_NAME.test(name)) fail(`headers.${plugin}`, 'header names made of token characters', name);
      if (typeof value !== 'string' || /[\r\n\0]/.test(value)) fail(`headers.${plugin}.${name}`, 'a string without CR, LF or NUL', value);
    }
  }
  const allowedHosts = o.allowedHosts ?? {};
  if (!isRecord(allowedHosts)) fail('allowedHosts', 'an object keyed by plugin name', allowedHosts);
  for (const [plugin, list] of Object.entries(allowedHosts)) {
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x !== '')) fail(`allowedHosts.${plugin}`, 'an array of non-empty strings', list);
  }
  const start = o.startTimeoutMs ?? DEFAULT_REMOTE_START_TIMEOUT_MS;
  if (!Number.isInteger(start) || start < 1) fail('startTimeoutMs', 'a positive integer', start);
  return { headers: { ...(headers as RemoteConfig['headers']) }, allowedHosts: { ...(allowedHosts as RemoteConfig['allowedHosts']) }, startTimeoutMs: start };
}
