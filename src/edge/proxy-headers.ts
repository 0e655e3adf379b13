/**
 * Header rewriting between client and origin (RFC 9110 §7.6.1 hop-by-hop fields, RFC 7239-era
 * X-Forwarded-* conventions, RFC 9110 §7.6.3 Via).
 *
 * Works on flat `[name, value, name, value, ...]` arrays (Node's `rawHeaders`, undici's raw response
 * headers) so no intermediate objects are built on the hot path.
 */

/** Hop-by-hop fields that never cross a proxy, plus `proxy-connection` (obsolete, still sent by some). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Request fields Bulwark sets itself (a client must not inject them), and `Expect`, which Node answers
 * itself (100-continue) and undici refuses to send. */
const SET_BY_BULWARK = new Set(['expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'forwarded', 'x-real-ip']);

export const VIA_VALUE = '1.1 bulwark';

/** Names listed in a `Connection` header (lower-case), which are hop-by-hop too. Empty set when none. */
function connectionTokens(raw: readonly string[]): Set<string> | null {
  let tokens: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      for (const t of raw[i + 1]!.split(',')) {
        const name = t.trim().toLowerCase();
        if (name !== '' && name !== 'close' && name !== 'keep-alive') (tokens ??= new Set()).add(name);
      }
    }
  }
  return tokens;
}

export interface ForwardedFacts {
  /** The client address as decided by identify (socket peer or trusted X-Forwarded-For). */
  readonly clientAddress: string;
  /** The X-Forwarded-For chain to send: the incoming one when the peer is a trusted proxy, else ''. */
  readonly trustedForwardedFor: string;
  readonly proto: 'http' | 'https';
  readonly host: string;
  readonly requestId: string;
  /** Override of the Host header toward the origin (when preserve_host is off), else null. */
  readonly originHost: string | null;
}

/**
 * Builds the header list sent to the origin: the client's headers minus hop-by-hop fields (including
 * those named in `Connection`) and minus the fields Bulwark owns, then `X-Forwarded-For`
 * (chain + client), `X-Forwarded-Proto`, `X-Forwarded-Host`, `X-Request-Id` and `Via` appended.
 */
export function originRequestHeaders(raw: readonly string[], facts: ForwardedFacts): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  let via = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || SET_BY_BULWARK.has(lower) || (named !== null && named.has(lower))) continue;
    if (lower === 'via') {
      via = via === '' ? raw[i + 1]! : `${via}, ${raw[i + 1]!}`;
      continue;
    }
    if (lower === 'host' && facts.originHost !== null) continue;
    out.push(name, raw[i + 1]!);
  }
  if (facts.originHost !== null) out.push('host', facts.originHost);
  out.push(
    'x-forwarded-for',
    facts.trustedForwardedFor === '' ? facts.clientAddress : `${facts.trustedForwardedFor}, ${facts.clientAddress}`,
    'x-forwarded-proto',
    facts.proto,
    'x-forwarded-host',
    facts.host,
    'x-request-id',
    facts.requestId,
    'via',
    via === '' ? VIA_VALUE : `${via}, ${VIA_VALUE}`,
  );
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
