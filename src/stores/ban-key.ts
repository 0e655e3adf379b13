/**
 * Canonical ban keys, so that the key stored, the key mirrored and the key the accept phase looks up are
 * the same string: addresses as `normalizeAddress` writes them, prefixes as `prefixKey` writes them (network
 * address, RFC 5952 for IPv6). Host prefixes (/32, /128) become plain addresses; host bits of a prefix are
 * cleared (`203.0.113.7/24` → `203.0.113.0/24`), as iptables does.
 */
import { normalizeAddress, parseCidr } from '../core/net/ip.ts';
import type { BanScope } from './types.ts';
import { invalidState } from './state-error.ts';

/** A canonical ban key with its scope, family and prefix length (32 / 128 for addresses). */
export interface BanKey {
  readonly key: string;
  readonly scope: BanScope;
  readonly family: 4 | 6;
  readonly bits: number;
}

/** Canonical form of an address or CIDR, or null when it is neither. */
export function parseBanKey(text: string): BanKey | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return null;
  if (text.indexOf('/') < 0) {
    const address = normalizeAddress(text);
    if (address === null) return null;
    const family = address.indexOf(':') < 0 ? 4 : 6;
    return { key: address, scope: 'address', family, bits: family === 4 ? 32 : 128 };
  }
  const cidr = parseCidr(text);
  if (cidr === null) return null;
  const full = cidr.family === 4 ? 32 : 128;
  if (cidr.bits === full) return { key: cidr.text.slice(0, cidr.text.lastIndexOf('/')), scope: 'address', family: cidr.family, bits: full };
  return { key: cidr.text, scope: 'prefix', family: cidr.family, bits: cidr.bits };
}

/** {@link parseBanKey}, throwing BULWARK_ERR_STATE_INVALID with the offending text when it is not a key. */
export function requireBanKey(text: string): BanKey {
  const k = parseBanKey(text);
  if (k === null) invalidState(`ban key ${JSON.stringify(text)} is not an IP address or CIDR prefix`);
  return k;
}

/** Family and prefix length of a key that is already canonical (cheap: no parsing). */
export function keyShape(key: string): { family: 4 | 6; bits: number } {
  const family = key.indexOf(':') < 0 ? 4 : 6;
  const slash = key.lastIndexOf('/');
  return { family, bits: slash < 0 ? (family === 4 ? 32 : 128) : Number(key.slice(slash + 1)) };
}
