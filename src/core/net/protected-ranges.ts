/**
 * Address ranges a deny list must not cover by accident, and labels for non-public clients.
 *
 * Third-party feeds list "bogons" next to real attackers — FireHOL level1 contains 127.0.0.0/8,
 * 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16 — and compiling them blindly would drop health checks,
 * internal monitoring and the reverse proxy in front of Bulwark. So list compilation asks
 * {@link createProtectedRanges} whether an entry overlaps loopback, private, link-local or a trusted
 * proxy, and skips it with a warning unless the operator forces it.
 */
import { parseIpInto } from './ip-parse.ts';
import { checkCidr, cidrsOverlap } from './cidr.ts';
import type { Cidr } from './cidr.ts';
import type { ParsedIp } from './ip.ts';

/**
 * What kind of address a client has. `private` covers RFC 1918, RFC 6598 shared space (100.64.0.0/10,
 * carrier-grade NAT) and IPv6 unique-local fc00::/7 (RFC 4193). `reserved` is 240.0.0.0/4 (incl.
 * 255.255.255.255). Documentation ranges (192.0.2.0/24, 2001:db8::/32, ...) are `public`, so test
 * traffic behaves like real traffic. See RFC 6890 for the special-purpose registries.
 */
export type AddressLabel = 'public' | 'loopback' | 'private' | 'link_local' | 'unspecified' | 'multicast' | 'reserved';

/** Why a list entry is protected. */
export type ProtectedReason = 'loopback' | 'private' | 'link_local' | 'trusted_proxy';

/** A protected range an entry overlaps, for the warning text. */
export interface ProtectedHit {
  readonly reason: ProtectedReason;
  /** The protected range, canonical CIDR text. */
  readonly range: string;
}

const scratch = new Uint32Array(4);

/** Label of a uint32 IPv4 address. */
export function labelV4(a: number): AddressLabel {
  const o1 = a >>> 24;
  if (o1 === 127) return 'loopback';
  if (o1 === 10) return 'private';
  if (o1 === 0) return 'unspecified';
  if (o1 === 172 && (a & 0x00f00000) === 0x00100000) return 'private'; // 172.16.0.0/12
  if (o1 === 192 && ((a >>> 16) & 255) === 168) return 'private'; // 192.168.0.0/16
  if (o1 === 100 && (a & 0x00c00000) === 0x00400000) return 'private'; // 100.64.0.0/10
  if (o1 === 169 && ((a >>> 16) & 255) === 254) return 'link_local'; // 169.254.0.0/16
  if (o1 >= 240) return 'reserved';
  if (o1 >= 224) return 'multicast';
  return 'public';
}

/** Label of an IPv6 address given as four big-endian words (IPv4-mapped must be unmapped first). */
export function labelV6(w: Uint32Array): AddressLabel {
  const top = w[0] >>> 16;
  if ((top & 0xfe00) === 0xfc00) return 'private'; // fc00::/7
  if ((top & 0xffc0) === 0xfe80) return 'link_local'; // fe80::/10
  if ((top & 0xff00) === 0xff00) return 'multicast'; // ff00::/8
  if (w[0] === 0 && w[1] === 0 && w[2] === 0) {
    if (w[3] === 0) return 'unspecified';
    if (w[3] === 1) return 'loopback';
  }
  return 'public';
}

/**
 * Label an address (text or parsed) without allocating. Non-addresses are labelled `reserved`, the
 * label that never gets public treatment. `::ffff:127.0.0.1` is `loopback`.
 */
export function addressLabel(address: string | ParsedIp): AddressLabel {
  if (typeof address !== 'string') return address.family === 4 ? labelV4(address.v4) : labelV6(address.v6);
  const fam = parseIpInto(address, scratch);
  if (fam === 4) return labelV4(scratch[0]);
  if (fam === 6) return labelV6(scratch);
  return 'reserved';
}

/** The built-in protected ranges (see the module comment). */
export const BUILTIN_PROTECTED: ReadonlyArray<{ readonly cidr: string; readonly reason: ProtectedReason }> = [
  { cidr: '127.0.0.0/8', reason: 'loopback' },
  { cidr: '::1/128', reason: 'loopback' },
  { cidr: '10.0.0.0/8', reason: 'private' },
  { cidr: '172.16.0.0/12', reason: 'private' },
  { cidr: '192.168.0.0/16', reason: 'private' },
  { cidr: '100.64.0.0/10', reason: 'private' },
  { cidr: 'fc00::/7', reason: 'private' },
  { cidr: '169.254.0.0/16', reason: 'link_local' },
  { cidr: 'fe80::/10', reason: 'link_local' },
];

/** A compiled set of protected ranges. */
export interface ProtectedRanges {
  /** The first protected range the prefix overlaps (contains or lies inside), or null. */
  check(cidr: Cidr): ProtectedHit | null;
  /** Trusted-proxy entries that are not valid prefixes (ignored). */
  readonly invalid: readonly string[];
  readonly size: number;
}

/**
 * Compile the built-in protected ranges plus the trusted proxies (IPs or CIDRs; host bits are
 * tolerated here since a proxy is often written as its own address with a mask).
 * Checking is a linear scan: the set is small (tens of ranges) and used only when lists are compiled.
 */
export function createProtectedRanges(options: { readonly trustedProxies?: readonly string[] } = {}): ProtectedRanges {
  const ranges: Array<{ cidr: Cidr; hit: ProtectedHit }> = [];
  const invalid: string[] = [];
  for (const p of BUILTIN_PROTECTED) {
    const c = checkCidr(p.cidr) as Cidr;
    ranges.push({ cidr: c, hit: Object.freeze({ reason: p.reason, range: c.text }) });
  }
  for (const text of options.trustedProxies ?? []) {
    const c = checkCidr(text.trim(), true);
    if (typeof c === 'string') invalid.push(text);
    else ranges.push({ cidr: c, hit: Object.freeze({ reason: 'trusted_proxy', range: c.text }) });
  }
  return {
    check(cidr: Cidr): ProtectedHit | null {
      for (let i = 0; i < ranges.length; i++) if (cidrsOverlap(cidr, ranges[i].cidr)) return ranges[i].hit;
      return null;
    },
    invalid,
    size: ranges.length,
  };
}
