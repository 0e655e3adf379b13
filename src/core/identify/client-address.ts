/**
 * Who is the client? The socket peer, unless the peer is a configured trusted proxy, in which case the
 * rightmost address of `X-Forwarded-For` that is not itself a trusted proxy (every address to the left
 * of that one was written by the client or by untrusted hops, so it proves nothing).
 *
 * Pure: the trusted-proxy matcher is compiled once from the config (`compileTrustedProxies`).
 */
import ipaddr from 'ipaddr.js';

/** Returns true when an address belongs to a trusted proxy. */
export type TrustedProxyMatcher = (address: string) => boolean;

/**
 * Normalises a socket or header address: IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes `a.b.c.d`, IPv6
 * becomes its RFC 5952 form, brackets and ports are stripped. Returns null when it is not an address.
 */
export function normalizeAddress(raw: string): string | null {
  // Fast path for what sockets give us: plain IPv4, or IPv4-mapped on a dual-stack listener.
  if (raw.length <= 15 && raw.charCodeAt(0) !== 58 /* : */ && raw.indexOf(':') === -1) {
    return ipaddr.IPv4.isValidFourPartDecimal(raw) ? raw : null;
  }
  if (raw.startsWith('::ffff:') && raw.indexOf('.') !== -1) {
    const v4 = raw.slice(7);
    return ipaddr.IPv4.isValidFourPartDecimal(v4) ? v4 : null;
  }
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
  if (!ipaddr.isValid(text)) return null;
  if (ipaddr.IPv4.isValid(text) && !ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
  return ipaddr.process(text).toString();
}

/** Compiles trusted-proxy CIDRs (or single addresses) once; invalid entries throw (the schema checks them). */
export function compileTrustedProxies(cidrs: readonly string[]): TrustedProxyMatcher {
  if (cidrs.length === 0) return () => false;
  const ranges = cidrs.map((c) => {
    const parsed = c.includes('/') ? ipaddr.parseCIDR(c) : ([ipaddr.parse(c), ipaddr.parse(c).kind() === 'ipv4' ? 32 : 128] as const);
    const [addr, bits] = parsed;
    return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
      ? ([(addr as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)] as const)
      : ([addr, bits] as const);
  });
  return (address: string) => {
    let parsed: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      parsed = ipaddr.process(address);
    } catch {
      return false;
    }
    for (const [range, bits] of ranges) {
      if (range.kind() === parsed.kind() && parsed.match(range as never, bits)) return true;
    }
    return false;
  };
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
