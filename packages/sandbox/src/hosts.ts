import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { hostAllowed } from './host-match.js';

export { hostAllowed } from './host-match.js';

/** A DNS lookup returning every address of a name (the shape of `dns.promises.lookup(name, { all: true })`). */
export type HostLookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface PinnedAddress {
  /** The address to connect to; connect to this, not the name, so a second lookup cannot differ. */
  address: string;
  family: 4 | 6;
}

const PRIVATE_RANGES = (() => {
  const list = new BlockList();
  for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
    list.addSubnet(net, prefix, 'ipv4');
  }
  for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
    list.addSubnet(net, prefix, 'ipv6');
  }
  return list;
})();

/** Loopback, private (RFC 1918, ULA), link-local, CGNAT, unspecified or multicast: addresses a name must not lead to unasked. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE_RANGES.check(mapped, 'ipv4');
  const family = isIP(address);
  return family !== 0 && PRIVATE_RANGES.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const defaultLookup: HostLookup = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * Decides whether a connection to `hostname:port` is allowed and returns the one address to use.
 * The name must match `allowedHosts` (see `hostAllowed`); then it is resolved, and an address that
 * is loopback, private or link-local is refused unless that address itself is listed, so a listed
 * name cannot be pointed at the host's own services (DNS rebinding). Resolves to `undefined` when
 * the target is not allowed, with `reason` saying why. Wildcard entries (`*`, `*.example.com`)
 * never admit a private address: it must be listed as itself.
 */
export async function resolveAllowedHost(
  hostname: string,
  port: number | string,
  allowedHosts: readonly string[],
  opts: { lookup?: HostLookup } = {},
): Promise<{ pinned: PinnedAddress; reason?: undefined } | { pinned?: undefined; reason: string }> {
  const name = hostname.toLowerCase().replace(/^\[|\]$/g, ''); // URL hostnames bracket IPv6
  const target = (host: string) => new URL(`http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`);
  if (!hostAllowed(target(name), allowedHosts)) return { reason: `${name}:${port} is not in permissions.network.allowedHosts` };
  const listedItself = (address: string) => hostAllowed(target(address), allowedHosts.filter((entry) => !entry.includes('*')));
  const literal = isIP(name);
  if (literal) {
    if (isPrivateAddress(name) && !listedItself(name)) return { reason: `${name} is a loopback, private or link-local address; only an exact allowedHosts entry admits it` };
    return { pinned: { address: name, family: literal as 4 | 6 } };
  }
  let addresses: { address: string; family: number }[];
  try {
    addresses = await (opts.lookup ?? defaultLookup)(name);
  } catch (error) {
    return { reason: `${name} does not resolve (${(error as Error).message})` };
  }
  const usable = addresses.find((a) => !isPrivateAddress(a.address) || listedItself(a.address));
  if (!usable) {
    const shown = addresses.map((a) => a.address).join(', ') || 'nothing';
    return { reason: `${name} resolves to ${shown}, a loopback, private or link-local address that is not itself in allowedHosts` };
  }
  return { pinned: { address: usable.address, family: usable.family === 6 ? 6 : 4 } };
}
