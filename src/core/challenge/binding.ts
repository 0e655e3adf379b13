/**
 * Binding digests: what ties a challenge token or a clearance cookie to one site, one client prefix,
 * address or network, and one user agent.
 *
 * A token stores an 8-byte digest (truncated SHA-256) of each bound value rather than the value itself, so
 * tokens stay short and of fixed size. The digests sit under the token's HMAC, so nobody can change them;
 * the only question is whether two different values could share a digest. With 64 bits, finding a
 * collision would at best let an attacker reuse a token he earned at one of his own prefixes at another
 * of his own prefixes — which he could also get by solving once more — so 64 bits is ample.
 *
 * The user agent is hashed over at most its first {@link MAX_HASHED_USER_AGENT_BYTES} bytes, so an
 * oversized header cannot make issuing a challenge expensive (real user agents are 100–200 bytes).
 *
 * Digests are memoised per kind in a small bounded map (a pure cache: same input, same output): real
 * traffic repeats a few thousand user agents and its clients' prefixes, and a map lookup costs a fraction
 * of the two or three SHA-256 blocks a user agent needs. When a map is full it is cleared (no per-entry
 * bookkeeping on the hot path); rotating user agents only makes every lookup a miss, which costs what no
 * cache would. Fill is observable with {@link bindingDigestCacheStats}.
 */

import { sha256 } from './sha256.ts';

/** Bytes of each binding digest inside a token. */
export const BINDING_DIGEST_BYTES = 8;
/** Only this many leading bytes of a user agent are hashed (bounds the cost per request). */
export const MAX_HASHED_USER_AGENT_BYTES = 256;
/** Only this many leading bytes of a browser stack (user agent + Accept-Language) are hashed. */
const MAX_HASHED_STACK_BYTES = 384;
/** Only this many leading bytes of a prefix or address are hashed (an IPv6 prefix string is < 50). */
const MAX_HASHED_CLIENT_BYTES = 64;

/** Domain separation: the first byte hashed says what the value is. */
export const BINDING_SITE = 1;
export const BINDING_PREFIX = 2;
export const BINDING_ADDRESS = 3;
export const BINDING_USER_AGENT = 4;
/** The client's network: its autonomous system, or its prefix when the AS is unknown (see {@link networkKeyOf}). */
export const BINDING_NETWORK = 5;
/** The client's browser stack: user agent and Accept-Language together (see {@link stackKeyOf}). */
export const BINDING_STACK = 6;

const SCRATCH = Buffer.allocUnsafe(1 + MAX_HASHED_STACK_BYTES);
const DIGEST = new Uint8Array(32);

/** Entries kept per kind before the memo is cleared. */
export const BINDING_DIGEST_CACHE_CAPACITY = 4096;
/** Values longer than this are not memoised (they are hashed over a bounded prefix anyway). */
const MAX_MEMO_KEY_LENGTH = 512;

const memo = new Map<number, Map<string, Uint8Array>>();
/** Kinds that go through the memo (prefix, address, user agent, network, stack). */
const MEMO_KINDS = 5;
const memoCounts = { hits: 0, misses: 0, clears: 0 };

function compute(kind: number, value: string): Uint8Array {
  const max = kind === BINDING_USER_AGENT ? MAX_HASHED_USER_AGENT_BYTES : kind === BINDING_STACK ? MAX_HASHED_STACK_BYTES : MAX_HASHED_CLIENT_BYTES;
  SCRATCH[0] = kind;
  const n = SCRATCH.write(value, 1, max, 'latin1');
  sha256(SCRATCH, 1 + n, DIGEST);
  return DIGEST.slice(0, BINDING_DIGEST_BYTES);
}

/**
 * Writes the binding digest of `value` (a prefix, address or user agent as received: a latin1 header
 * string) into `out[offset..offset+8)`. `kind` is one of the `BINDING_*` constants.
 */
export function writeBindingDigest(kind: number, value: string, out: Uint8Array, offset: number): void {
  let table = memo.get(kind);
  if (table === undefined) memo.set(kind, (table = new Map()));
  let digest = table.get(value);
  if (digest === undefined) {
    memoCounts.misses++;
    digest = compute(kind, value);
    if (value.length <= MAX_MEMO_KEY_LENGTH) {
      if (table.size >= BINDING_DIGEST_CACHE_CAPACITY) {
        table.clear();
        memoCounts.clears++;
      }
      table.set(value, digest);
    }
  } else {
    memoCounts.hits++;
  }
  for (let i = 0; i < BINDING_DIGEST_BYTES; i++) out[offset + i] = digest[i];
}

/**
 * The network a client belongs to, for the `network` clearance binding: `AS<number>` when the offline
 * ASN data knows the address (an IPv4 and an IPv6 address of one provider, or two addresses of one
 * carrier's pool, share it), else the client's prefix (no data, or a loopback or private address).
 */
export function networkKeyOf(asn: number | null | undefined, prefix: string): string {
  return asn === null || asn === undefined ? prefix : `AS${asn}`;
}

/**
 * The browser stack of a client, for the `network` binding: the User-Agent and Accept-Language values
 * (both sent unchanged on every request a browser makes — navigations, scripts, images, fetches — unlike
 * the header-order fingerprint, which differs between a navigation and a subresource request).
 */
export function stackKeyOf(userAgent: string, acceptLanguage: string | undefined): string {
  return acceptLanguage === undefined || acceptLanguage === '' ? userAgent : `${userAgent}\n${acceptLanguage}`;
}

/** Fill and hit counts of the binding-digest memo (all kinds together). */
export function bindingDigestCacheStats(): { size: number; capacity: number; hits: number; misses: number; clears: number } {
  let size = 0;
  for (const table of memo.values()) size += table.size;
  return { size, capacity: BINDING_DIGEST_CACHE_CAPACITY * MEMO_KINDS, ...memoCounts };
}

/** A protected site's identity for tokens, with its digest computed once (create it at config load). */
export interface SiteTag {
  /** The site's configured id (stable across restarts: renaming it signs everyone out). */
  readonly site: string;
  /** 8-byte digest of the UTF-8 site id. */
  readonly digest: Uint8Array;
}

/** Builds the {@link SiteTag} of a site id. */
export function createSiteTag(site: string): SiteTag {
  const bytes = Buffer.concat([Buffer.from([BINDING_SITE]), Buffer.from(site, 'utf8')]);
  return { site, digest: sha256(bytes).slice(0, BINDING_DIGEST_BYTES) };
}
