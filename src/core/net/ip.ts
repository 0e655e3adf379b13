/**
 * Client addresses for the hot path: normalisation, parsing and prefix keys.
 *
 * Hand-written rather than ipaddr.js because identify runs these several times per request and
 * ipaddr.js allocates arrays and objects for every parse. The parsers (see ./ip-parse.ts) accept
 * strict forms only; `::ffff:a.b.c.d` is always unmapped to `a.b.c.d` so an IPv4 client seen through
 * a dual-stack (`::`) listener has a single identity.
 */
import { isMappedWords, parseIpInto } from './ip-parse.ts';
import { formatV4, formatV6, formatV6Words, maskV6Into, wordMask } from './ip-format.ts';

export { parseIpInto } from './ip-parse.ts';
export type { ParsedFamily } from './ip-parse.ts';
export { formatV4, formatV6 } from './ip-format.ts';
export { checkCidr, parseCidr, cidrsOverlap, cidrContains, cidrHasAddress } from './cidr.ts';
export type { Cidr } from './cidr.ts';

/**
 * A parsed address. IPv4 is one uint32 (`v4`, e.g. 203.0.113.7 → 0xcb007107); IPv6 is four uint32
 * words in network (big-endian) order (`v6[0]` holds the first 32 bits).
 */
export type ParsedIp = { readonly family: 4; readonly v4: number } | { readonly family: 6; readonly v6: Uint32Array };

/** Default prefix levels: the first is the limiting key (/24, /64), the second the aggregate (/16, /48). */
export const DEFAULT_PREFIX_LEVELS: Readonly<{ v4: readonly number[]; v6: readonly number[] }> = Object.freeze({
  v4: Object.freeze([24, 16]),
  v6: Object.freeze([64, 48]),
});

const scratch = new Uint32Array(4);
const masked = new Uint32Array(4);

/**
 * Parse an address into a {@link ParsedIp}, or null when the text is not an IP address.
 * IPv4-mapped IPv6 comes back as IPv4. Zone ids and brackets are accepted and dropped.
 * Allocates the result; hot paths that only need a lookup should use `parseIpInto`.
 */
export function parseIp(text: string): ParsedIp | null {
  const fam = parseIpInto(text, scratch);
  if (fam === 4) return { family: 4, v4: scratch[0] };
  if (fam === 6) return { family: 6, v6: Uint32Array.from(scratch) };
  return null;
}

/**
 * Canonical text of an address, or null when `raw` is not an IP address.
 *
 * IPv4 stays dotted decimal (returned as the same string when already canonical, allocating nothing);
 * `::ffff:a.b.c.d` becomes `a.b.c.d`; IPv6 becomes RFC 5952 text (lower case, `::` for the longest
 * zero run); brackets and zone ids (`[fe80::1%eth0]`) are dropped. Surrounding whitespace is not
 * trimmed: callers reading headers trim first. Idempotent: normalizing the result returns it unchanged.
 */
export function normalizeAddress(raw: string): string | null {
  const fam = parseIpInto(raw, scratch);
  if (fam === 4) {
    // The strict v4 grammar has one spelling per address, so a plain v4 input is already canonical.
    return raw.indexOf(':') < 0 ? raw : formatV4(scratch[0]);
  }
  if (fam === 6) return formatV6(scratch);
  return null;
}

/** True when the text is an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2). */
export function isIpv4Mapped(text: string): boolean {
  return parseIpInto(text, scratch, false) === 6 && isMappedWords(scratch);
}

/** True when the text is an IPv4 or IPv6 address this module accepts. */
export function isIp(text: string): boolean {
  return parseIpInto(text, scratch) !== 0;
}

/** Key for words already in `scratch`; `bits` clamped to the family's range. */
function keyFromScratch(fam: 4 | 6, bits: number): string {
  if (fam === 4) {
    const b = bits < 0 ? 0 : bits > 32 ? 32 : bits | 0;
    return formatV4((scratch[0] & wordMask(b)) >>> 0) + '/' + b;
  }
  const b = bits < 0 ? 0 : bits > 128 ? 128 : bits | 0;
  maskV6Into(scratch, b, masked);
  return formatV6Words(masked[0], masked[1], masked[2], masked[3]) + '/' + b;
}

/**
 * The prefix containing an address, as canonical CIDR text: `prefixKey('203.0.113.7', 24)` is
 * `'203.0.113.0/24'`, `prefixKey('2001:db8:1:2:3:4:5:6', 64)` is `'2001:db8:1:2::/64'`.
 *
 * `bits` is clamped to the address family (0..32 or 0..128), so pass the level meant for the family
 * (see {@link prefixKeys}). IPv4-mapped addresses are keyed as IPv4. Returns null for non-addresses.
 * Cost: one allocation-free parse plus building the result string.
 */
export function prefixKey(address: string, bits: number): string | null {
  const fam = parseIpInto(address, scratch);
  return fam === 0 ? null : keyFromScratch(fam, bits);
}

/** {@link prefixKey} for an address that is already parsed. */
export function prefixKeyOf(ip: ParsedIp, bits: number): string {
  if (ip.family === 4) {
    scratch[0] = ip.v4;
    return keyFromScratch(4, bits);
  }
  scratch.set(ip.v6);
  return keyFromScratch(6, bits);
}

/**
 * Several prefix keys of one address, parsing it once: the IPv4 levels for an IPv4 address, the IPv6
 * levels for an IPv6 one, in the order given. Defaults: `{ v4: [24, 16], v6: [64, 48] }` (the limiting
 * prefix first, then the aggregate). Returns an empty array for non-addresses.
 */
export function prefixKeys(
  address: string,
  levels: Readonly<{ v4: readonly number[]; v6: readonly number[] }> = DEFAULT_PREFIX_LEVELS,
): string[] {
  const fam = parseIpInto(address, scratch);
  if (fam === 0) return [];
  const list = fam === 4 ? levels.v4 : levels.v6;
  const keys = new Array<string>(list.length);
  for (let i = 0; i < list.length; i++) keys[i] = keyFromScratch(fam, list[i]); // scratch is not modified
  return keys;
}
