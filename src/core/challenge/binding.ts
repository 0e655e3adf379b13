/**
 * Binding digests: what ties a challenge token or a clearance cookie to one site, one client prefix or
 * address, and one user agent.
 *
 * A token stores an 8-byte digest (truncated SHA-256) of each bound value rather than the value itself, so
 * tokens stay short and of fixed size. The digests sit under the token's HMAC, so nobody can change them;
 * the only question is whether two different values could share a digest. With 64 bits, finding a
 * collision would at best let an attacker reuse a token he earned at one of his own prefixes at another
 * of his own prefixes — which he could also get by solving once more — so 64 bits is ample.
 *
 * The user agent is hashed over at most its first {@link MAX_HASHED_USER_AGENT_BYTES} bytes, so an
 * oversized header cannot make issuing a challenge expensive (real user agents are 100–200 bytes).
 */

import { sha256 } from './sha256.ts';

/** Bytes of each binding digest inside a token. */
export const BINDING_DIGEST_BYTES = 8;
/** Only this many leading bytes of a user agent are hashed (bounds the cost per request). */
export const MAX_HASHED_USER_AGENT_BYTES = 256;
/** Only this many leading bytes of a prefix or address are hashed (an IPv6 prefix string is < 50). */
const MAX_HASHED_CLIENT_BYTES = 64;

/** Domain separation: the first byte hashed says what the value is. */
export const BINDING_SITE = 1;
export const BINDING_PREFIX = 2;
export const BINDING_ADDRESS = 3;
export const BINDING_USER_AGENT = 4;

const SCRATCH = Buffer.allocUnsafe(1 + MAX_HASHED_USER_AGENT_BYTES);
const DIGEST = new Uint8Array(32);

/**
 * Writes the binding digest of `value` (a prefix, address or user agent as received: a latin1 header
 * string) into `out[offset..offset+8)`. `kind` is one of the `BINDING_*` constants.
 */
export function writeBindingDigest(kind: number, value: string, out: Uint8Array, offset: number): void {
  const max = kind === BINDING_USER_AGENT ? MAX_HASHED_USER_AGENT_BYTES : MAX_HASHED_CLIENT_BYTES;
  SCRATCH[0] = kind;
  const n = SCRATCH.write(value, 1, max, 'latin1');
  sha256(SCRATCH, 1 + n, DIGEST);
  for (let i = 0; i < BINDING_DIGEST_BYTES; i++) out[offset + i] = DIGEST[i];
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
