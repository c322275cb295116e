/**
 * The client address as limits see it: the bucket one client's requests are counted in, for the
 * inference rate limit and the admin-key failure limit alike.
 */
import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The one bucket of every client whose address is no IP address. With `TRUST_PROXY_HOPS` ≥ 1 the
 * address is an `X-Forwarded-For` entry, which the trusted proxy chain copies as it came
 * (`foo`, `999.1.1.1`); a bucket per spelling would give every invented entry a fresh allowance.
 */
export const UNPARSABLE_ADDRESS = 'unparsable';

/**
 * The bucket of a client address: an IPv4 address as it is; an IPv6 address by its /64, the
 * block one subscriber or host is usually given, so cycling through addresses in it mints no
 * fresh allowance (the rate-limit plugin's default key does the same; a custom key must do it
 * itself); an IPv4-mapped IPv6 address as its IPv4 address; anything else `UNPARSABLE_ADDRESS`.
 */
export function addressBucket(ip: string): string {
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return UNPARSABLE_ADDRESS;
  // A zone id (`fe80::1%eth0.100`) names an interface, not a host; ipaddr.js accepts fewer zone
  // spellings than Node does, and a throw here would fail the request, so drop it first.
  let address: ipaddr.IPv6;
  try {
    address = ipaddr.IPv6.parse(ip.replace(/%.*$/, ''));
  } catch {
    return UNPARSABLE_ADDRESS;
  }
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString();
  return `${address.parts
    .slice(0, 4)
    .map((part) => part.toString(16))
    .join(':')}::/64`;
}
