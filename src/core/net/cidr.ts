/**
 * CIDR prefixes (RFC 4632 for IPv4, RFC 4291 §2.3 for IPv6): parsing, canonical text and overlap tests.
 * Used when lists and config are compiled, not per request.
 */
import { parseIpInto } from './ip-parse.ts';
import { formatV4, formatV6, maskV6Into, wordMask } from './ip-format.ts';

/**
 * A parsed prefix. `v4` / `v6` hold the network address with host bits cleared; `text` is the
 * canonical form (`203.0.113.0/24`, `2001:db8::/32`). An IPv4-mapped IPv6 prefix of /96 or longer
 * (`::ffff:203.0.113.0/120`) is stored as the IPv4 prefix it covers (`203.0.113.0/24`), because
 * addresses are unmapped before lookup.
 */
export type Cidr =
  | { readonly family: 4; readonly bits: number; readonly v4: number; readonly text: string }
  | { readonly family: 6; readonly bits: number; readonly v6: Uint32Array; readonly text: string };

const scratch = new Uint32Array(4);

/** Parse the `/n` part strictly: decimal digits, no sign, no leading zero, 0..max. -1 when invalid. */
function parseBits(text: string, start: number, max: number): number {
  const end = text.length;
  if (start >= end || end - start > 3) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    if (i > start && n === 0) return -1; // leading zero
    n = n * 10 + (c - 48);
  }
  return n > max ? -1 : n;
}

/**
 * Parse a CIDR (or a bare address, taken as a /32 or /128 host prefix) and explain what is wrong.
 *
 * Returns the prefix, or a short human-readable reason when the text is not a valid prefix. With
 * `allowHostBits` false (the default here), `10.1.2.3/8` is refused with a hint naming the network,
 * because in a deny list a typo like that would silently block a whole /8.
 */
export function checkCidr(text: string, allowHostBits = false): Cidr | string {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const fam = parseIpInto(addrText, scratch, false);
  if (fam === 0) return 'not an IP address or CIDR';
  let bits = fam === 4 ? 32 : 128;
  if (slash >= 0) {
    bits = parseBits(text, slash + 1, bits);
    if (bits < 0) return `invalid prefix length (0..${fam === 4 ? 32 : 128})`;
  }
  if (fam === 4) return finishV4(scratch[0], bits, allowHostBits);
  if (bits >= 96 && scratch[0] === 0 && scratch[1] === 0 && scratch[2] === 0xffff) {
    return finishV4(scratch[3], bits - 96, allowHostBits);
  }
  const net = new Uint32Array(4);
  maskV6Into(scratch, bits, net);
  const text6 = formatV6(net) + '/' + bits;
  if (!allowHostBits && (net[0] !== scratch[0] || net[1] !== scratch[1] || net[2] !== scratch[2] || net[3] !== scratch[3])) {
    return `host bits set (network is ${text6})`;
  }
  return { family: 6, bits, v6: net, text: text6 };
}

function finishV4(addr: number, bits: number, allowHostBits: boolean): Cidr | string {
  const net = (addr & wordMask(bits)) >>> 0;
  const text = formatV4(net) + '/' + bits;
  if (!allowHostBits && net !== addr) return `host bits set (network is ${text})`;
  return { family: 4, bits, v4: net, text };
}

/**
 * Parse a CIDR or bare address leniently: host bits are cleared (`10.1.2.3/8` → `10.0.0.0/8`),
 * as ipaddr.js `networkAddressFromCIDR` and iptables do. Returns null when the text is not a prefix.
 * Lists use the strict {@link checkCidr} instead.
 */
export function parseCidr(text: string): Cidr | null {
  const r = checkCidr(text, true);
  return typeof r === 'string' ? null : r;
}

/**
 * True when the two prefixes share at least one address, i.e. one contains the other (prefixes never
 * partially overlap). Prefixes of different families never overlap.
 */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const bits = a.bits < b.bits ? a.bits : b.bits;
  if (a.family === 4) return b.family === 4 && ((a.v4 ^ b.v4) & wordMask(bits)) === 0;
  if (b.family !== 6) return false;
  for (let w = 0; w < 4; w++) {
    if (((a.v6[w] ^ b.v6[w]) & wordMask(bits - w * 32)) !== 0) return false;
  }
  return true;
}

/** True when `outer` contains every address of `inner` (equal prefixes contain each other). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.bits <= inner.bits && cidrsOverlap(outer, inner);
}

/**
 * True when the address (family and words as produced by `parseIpInto`) lies in the prefix.
 * Allocation-free; `words[0]` holds the IPv4 address when `family` is 4.
 */
export function cidrHasAddress(cidr: Cidr, family: 4 | 6, words: Uint32Array): boolean {
  if (cidr.family === 4) return family === 4 && ((cidr.v4 ^ words[0]) & wordMask(cidr.bits)) === 0;
  if (family !== 6) return false;
  for (let w = 0; w < 4; w++) {
    if (((cidr.v6[w] ^ words[w]) & wordMask(cidr.bits - w * 32)) !== 0) return false;
  }
  return true;
}
