/**
 * The allowedHosts matching rule on its own, with no Node imports: wasm plugin workers load it
 * (as `@clawdesk/sandbox/host-match`) without the rest of this package, which costs each
 * worker megabytes of heap (http, dns, stream).
 */
/**
 * `permissions.network.allowedHosts` matching, the one rule every driver and the host apply.
 *
 * An entry is `host` or `host:port`. `host` is a hostname or IP address (IPv6 bare or in
 * brackets) and may contain `*` for one or more characters, as Extism's allowedHosts globs do:
 * `*.example.com` matches `api.example.com`, not `example.com`. Without a port, any port is
 * allowed; with one, only that port (the URL's default port counts: 80 for http, 443 for https).
 * Case-insensitive, whole-name matches only.
 */
export function hostAllowed(url: URL | string, allowedHosts: readonly string[]): boolean {
  const target = typeof url === 'string' ? new URL(url) : url;
  const hostname = unbracket(target.hostname.toLowerCase());
  const port = target.port || defaultPort(target.protocol);
  return allowedHosts.some((raw) => {
    const entry = parseHostEntry(raw.trim().toLowerCase());
    if (entry.port !== undefined && entry.port !== port) return false;
    if (!entry.host.includes('*')) return entry.host === hostname;
    return new RegExp(`^${entry.host.split('*').map(escapeRegExp).join('.+')}$`).test(hostname);
  });
}

function parseHostEntry(entry: string): { host: string; port?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed?.[1]) return { host: bracketed[1], ...(bracketed[2] ? { port: bracketed[2] } : {}) };
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  if (withPort?.[1] && withPort[2]) return { host: withPort[1], port: withPort[2] };
  return { host: entry }; // a hostname, or a bare IPv6 address
}

const unbracket = (host: string) => host.replace(/^\[|\]$/g, '');

function defaultPort(protocol: string): string {
  return protocol === 'https:' || protocol === 'wss:' ? '443' : '80';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
