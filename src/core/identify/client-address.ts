/**
 * Who is the client? The socket peer, unless the peer is a configured trusted proxy, in which case the
 * rightmost address of `X-Forwarded-For` that is not itself a trusted proxy (every address to the left
 * of that one was written by the client or by untrusted hops, so it proves nothing).
 *
 * Pure: the trusted-proxy matcher is compiled once from the config (`compileTrustedProxies`).
 */
import { createCidrTrie } from '../net/cidr-trie.ts';
import { normalizeAddress as normalizeIp } from '../net/ip.ts';

/** Returns true when an address belongs to a trusted proxy. */
export type TrustedProxyMatcher = (address: string) => boolean;

/**
 * Normalises a socket or header address: IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes `a.b.c.d`, IPv6
 * becomes its RFC 5952 form; for header values, surrounding spaces, `[brackets]`, an IPv4 `:port` and
 * an IPv6 zone are stripped. Returns null when it is not an address.
 */
export function normalizeAddress(raw: string): string | null {
  const fast = normalizeIp(raw);
  if (fast !== null) return fast;
  let text = raw.trim();
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end === -1) return null;
    text = text.slice(1, end);
  } else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(text)) {
    text = text.slice(0, text.lastIndexOf(':'));
  }
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  return normalizeIp(text);
}

/** Compiles trusted-proxy CIDRs (or single addresses) once into a trie; invalid entries throw. */
export function compileTrustedProxies(cidrs: readonly string[]): TrustedProxyMatcher {
  if (cidrs.length === 0) return () => false;
  const trie = createCidrTrie({ maxPrefixes: Math.max(16, cidrs.length) });
  for (const c of cidrs) {
    if (!trie.insert(c, 1)) throw new Error(`invalid trusted proxy ${c}`);
  }
  return (address: string) => trie.lookup(address) !== -1;
}

export interface ResolvedClient {
  /** The client's address (normalised). */
  readonly address: string;
  /** The socket peer's address (normalised); differs from `address` when a trusted proxy forwarded. */
  readonly peer: string;
  /** The X-Forwarded-For chain to pass on (only when the peer is trusted), else ''. */
  readonly forwardedFor: string;
}

/**
 * Resolves the client address for one request. `xff` is the raw `X-Forwarded-For` header (several
 * headers joined with `,`), or undefined. Malformed entries in a trusted chain stop the walk at the
 * last good address, so garbage can never become the client address.
 */
export function resolveClientAddress(peerRaw: string, xff: string | undefined, isTrusted: TrustedProxyMatcher): ResolvedClient {
  const peer = normalizeAddress(peerRaw) ?? peerRaw;
  if (xff === undefined || xff === '' || !isTrusted(peer)) return { address: peer, peer, forwardedFor: '' };
  const hops = xff.split(',');
  let address = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i]!.trim());
    if (hop === null) break;
    address = hop;
    if (!isTrusted(hop)) break;
  }
  return { address, peer, forwardedFor: xff };
}
