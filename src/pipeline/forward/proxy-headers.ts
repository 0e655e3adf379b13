/**
 * Header rewriting between client and origin (RFC 9110 §7.6.1 hop-by-hop fields, RFC 7239-era
 * X-Forwarded-* conventions, RFC 9110 §7.6.3 Via).
 *
 * Works on flat `[name, value, name, value, ...]` arrays (Node's `rawHeaders`, undici's raw response
 * headers) so no intermediate objects are built on the hot path. Which fields never cross, and which a
 * client's `Connection` may remove, is core/http/forwarded-fields.ts.
 */
import { clientConnectionFields, connectionTokens, HOP_BY_HOP, NEVER_FROM_CLIENT } from '../../core/http/forwarded-fields.ts';

export const VIA_VALUE = '1.1 bulwark';

export interface ForwardedFacts {
  /** The client address as decided by identify (socket peer or trusted X-Forwarded-For). */
  readonly clientAddress: string;
  /** The X-Forwarded-For chain to send: the incoming one when the peer is a trusted proxy, else ''. */
  readonly trustedForwardedFor: string;
  readonly proto: 'http' | 'https';
  /** The request's normalised authority (core/http/authority.ts): `X-Forwarded-Host`; '' sends none. */
  readonly authority: string;
  readonly requestId: string;
  /** The `Host` the origin gets: the authority (preserve_host) or the origin URL's host. */
  readonly originHost: string;
}

/**
 * Builds the header list sent to the origin: `Host` (Bulwark's, see {@link ForwardedFacts.originHost}),
 * then the client's fields minus hop-by-hop ones and {@link NEVER_FROM_CLIENT}, then `X-Forwarded-For`
 * (chain + client), `X-Forwarded-Proto`, `X-Forwarded-Host`, `X-Request-Id` and `Via` appended.
 *
 * Fields a client names in `Connection` are removed too (RFC 9110 §7.6.1) — except Host, the framing
 * and the fields Bulwark sets, which `Connection` cannot touch; parse removed the same fields from what
 * Bulwark itself reads (forwarded-fields.ts), so the origin gets exactly the fields rules and the cache
 * key were decided on.
 */
export function originRequestHeaders(raw: readonly string[], facts: ForwardedFacts): string[] {
  const named = clientConnectionFields(raw);
  const out: string[] = ['host', facts.originHost];
  let via = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || NEVER_FROM_CLIENT.has(lower) || (named !== null && named.has(lower))) continue;
    if (lower === 'via') {
      via = via === '' ? raw[i + 1]! : `${via}, ${raw[i + 1]!}`;
      continue;
    }
    out.push(name, raw[i + 1]!);
  }
  out.push(
    'x-forwarded-for',
    facts.trustedForwardedFor === '' ? facts.clientAddress : `${facts.trustedForwardedFor}, ${facts.clientAddress}`,
    'x-forwarded-proto',
    facts.proto,
  );
  if (facts.authority !== '') out.push('x-forwarded-host', facts.authority);
  out.push('x-request-id', facts.requestId, 'via', via === '' ? VIA_VALUE : `${via}, ${VIA_VALUE}`);
  return out;
}

/**
 * Converts the origin's raw response headers (undici gives Buffers) into the flat string list written
 * to the client, minus hop-by-hop fields, with `x-request-id` and `Via` added. Returns the list and the
 * declared content-length (-1 if none) for accounting.
 */
export function clientResponseHeaders(raw: readonly (Buffer | string)[], requestId: string): string[] {
  const strings: string[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) strings[i] = typeof raw[i] === 'string' ? (raw[i] as string) : (raw[i] as Buffer).toString('latin1');
  const named = connectionTokens(strings);
  const out: string[] = [];
  let via = '';
  for (let i = 0; i < strings.length; i += 2) {
    const name = strings[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower === 'x-request-id' || (named !== null && named.has(lower))) continue;
    if (lower === 'via') {
      via = via === '' ? strings[i + 1]! : `${via}, ${strings[i + 1]!}`;
      continue;
    }
    out.push(name, strings[i + 1]!);
  }
  out.push('x-request-id', requestId, 'via', via === '' ? VIA_VALUE : `${via}, ${VIA_VALUE}`);
  return out;
}

/**
 * The origin's own fields from a list `clientResponseHeaders` built: without the `x-request-id` and
 * Bulwark's `Via` it appended (the origin's `Via` chain, if any, kept). What the cache stores: an
 * entry must not carry the request ID of the request that filled it, nor Bulwark's Via twice, since
 * every answer from the cache adds its own.
 */
export function originResponseHeaders(flat: readonly string[]): string[] {
  const n = flat.length;
  if (n < 4 || flat[n - 4] !== 'x-request-id' || flat[n - 2] !== 'via') {
    // Not a list clientResponseHeaders built: at least never keep a request ID.
    const kept: string[] = [];
    for (let i = 0; i < n; i += 2) if (flat[i]!.toLowerCase() !== 'x-request-id') kept.push(flat[i]!, flat[i + 1]!);
    return kept;
  }
  const out = flat.slice(0, n - 4);
  const via = flat[n - 1]!;
  const ours = `, ${VIA_VALUE}`;
  if (via !== VIA_VALUE) out.push('via', via.endsWith(ours) ? via.slice(0, -ours.length) : via);
  return out;
}

/** Looks up a header value (first occurrence, case-insensitive) in a flat raw list. */
export function rawHeader(raw: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length === lowerName.length && n.toLowerCase() === lowerName) return raw[i + 1];
  }
  return undefined;
}
