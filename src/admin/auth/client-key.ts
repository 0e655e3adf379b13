/**
 * How the admin plane groups clients for limits: an IPv4 address on its own, an IPv6 address by its
 * /64 (one host or home usually holds a whole /64, so counting addresses would let it rotate).
 */
import { normalizeAddress } from '../../core/net/ip.ts';
import { parseCidr } from '../../core/net/cidr.ts';

/** The grouping key of a client address (unknown text is kept as it is). */
export function prefixKeyOf(address: string): string {
  const a = normalizeAddress(address.startsWith('::ffff:') ? address.slice(7) : address);
  if (a === null) return address;
  if (!a.includes(':')) return a;
  return parseCidr(`${a}/64`)?.text ?? a;
}
