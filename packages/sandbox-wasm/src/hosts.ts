/**
 * `network.allowedHosts` matching, used by the worker (before asking) and the main thread (before
 * fetching). An entry is a hostname, or a pattern where `*` stands for one or more characters,
 * as Extism's allowedHosts globs do (`*.example.com` matches `api.example.com`, not `example.com`).
 */
export function hostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return allowedHosts.some((pattern) => {
    const p = pattern.toLowerCase();
    if (!p.includes('*')) return p === host;
    const source = p.split('*').map(escapeRegExp).join('.+');
    return new RegExp(`^${source}$`).test(host);
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
