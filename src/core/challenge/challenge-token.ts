/**
 * Challenge tokens: handed out with a challenge page, answered once (see ./tokens.ts).
 */

import type { ThreatLevel } from '../vocabulary.ts';
import { THREAT_LEVELS } from '../vocabulary.ts';
import { encodeBase64Url, readUint32, readUint48, writeUint32, writeUint48, bytesEqual } from './bytes.ts';
import { BINDING_NETWORK, BINDING_PREFIX, BINDING_USER_AGENT, BINDING_DIGEST_BYTES, networkKeyOf, writeBindingDigest, type SiteTag } from './binding.ts';
import type { KeyRing } from './key-ring.ts';
import { isValidWork, type PowWork } from './pow.ts';
import { checkTimes, levelCode, openRecord, RECORD, signRecord, TAG_BYTES, type ChallengeClient, type RandomFill, type VerifyResult } from './token-record.ts';

// ---- challenge token layout (72 bytes = 96 characters) ----
// 0 version · 1-4 key id · 5-10 issued at · 11-12 lifetime s · 13 bits · 14 level · 15-26 nonce ·
// 27 no-JS wait s · 28 sub-challenges · 29-36 site · 37-44 client (prefix or network) · 45-52 user agent ·
// 53-55 tag (which rule issued it, for the solve-rate stats).
const C_VERSION = 0xc2;
const C_PAYLOAD = 56;
const C_BYTES = C_PAYLOAD + TAG_BYTES;
/** Length of a challenge token string. */
export const CHALLENGE_TOKEN_LENGTH = (C_BYTES / 3) * 4;
/** Bytes 15..26 hold the nonce. */
const C_NONCE_OFFSET = 15;
const NONCE_BYTES = 12;
/** Where the nonce starts in the token's text. */
const NONCE_CHARS = (C_NONCE_OFFSET / 3) * 4;
const C_TAG_VIEW = RECORD.subarray(C_PAYLOAD, C_BYTES);
const DIGEST = new Uint8Array(BINDING_DIGEST_BYTES);

/**
 * The nonce as a fresh 16-character string. Not `token.slice(...)`: V8 would keep a slice pointing into
 * the whole token (and whatever request body it came from) alive for as long as the replay set holds it.
 */
function readNonce(): string {
  return RECORD.toString('base64url', C_NONCE_OFFSET, C_NONCE_OFFSET + NONCE_BYTES);
}

/** What a challenge token says (after its tag was checked). */
export interface ChallengeClaims {
  readonly keyId: number;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  /** The proof of work asked: sub-challenges and their leading zero bits. */
  readonly work: PowWork;
  readonly level: ThreatLevel;
  /** Minimum seconds before the no-JS path may clear; 0 when the no-JS path is closed. */
  readonly noJsWaitS: number;
  /** 16 base64url characters: the proof-of-work seed and the once-only id of an answer. */
  readonly nonce: string;
  /** What the issuer tagged it with (24 bits; the solve-rate stats' rule), signed with the rest. */
  readonly tag: number;
}

/** The binding a challenge token's client slot uses: the network for `network` sites, else the prefix. */
export type TokenBinding = 'prefix' | 'network';

/** Inputs of {@link mintChallengeToken}. */
export interface ChallengeTokenInput {
  readonly site: SiteTag;
  readonly client: ChallengeClient;
  readonly level: ThreatLevel;
  /** The proof of work asked. */
  readonly work: PowWork;
  /** Seconds, 1..65535. */
  readonly lifetimeS: number;
  /** Minimum wait for the no-JS path, 0 (closed) .. 255 seconds. */
  readonly noJsWaitS: number;
  /** What the token's client slot holds (default `prefix`). */
  readonly binding?: TokenBinding;
  /** 0..2^24-1, carried back with the answer (default 0). */
  readonly tag?: number;
}

function writeTokenClient(binding: TokenBinding | undefined, client: ChallengeClient, out: Uint8Array, offset: number): void {
  if (binding === 'network') writeBindingDigest(BINDING_NETWORK, networkKeyOf(client.asn, client.prefix), out, offset);
  else writeBindingDigest(BINDING_PREFIX, client.prefix, out, offset);
}

/**
 * Signs a new challenge token with the ring's current key. Cost: one binding digest of the client's
 * prefix or network, one of the user agent (both memoised), one HMAC of a single block, 12 random bytes.
 */
export function mintChallengeToken(input: ChallengeTokenInput, keys: KeyRing, nowMs: number, random: RandomFill): { token: string; claims: ChallengeClaims } {
  const { work, lifetimeS, noJsWaitS } = input;
  const tag = input.tag ?? 0;
  if (!(isValidWork(work) && lifetimeS >= 1 && lifetimeS <= 65535 && noJsWaitS >= 0 && noJsWaitS <= 255 && tag >= 0 && tag <= 0xffffff)) {
    throw new RangeError('challenge token: work, lifetimeS, noJsWaitS or tag out of range');
  }
  const key = keys.current;
  const b = RECORD;
  const issuedAtMs = Math.floor(nowMs);
  b[0] = C_VERSION;
  writeUint32(b, 1, key.id);
  writeUint48(b, 5, issuedAtMs);
  b[11] = lifetimeS >>> 8; b[12] = lifetimeS;
  b[13] = work.bits;
  b[14] = levelCode(input.level);
  random(b, C_NONCE_OFFSET, NONCE_BYTES);
  b[27] = noJsWaitS;
  b[28] = work.count;
  b.set(input.site.digest, 29);
  writeTokenClient(input.binding, input.client, b, 37);
  writeBindingDigest(BINDING_USER_AGENT, input.client.userAgent, b, 45);
  b[53] = tag >>> 16; b[54] = tag >>> 8; b[55] = tag;
  signRecord(key.challenge, C_PAYLOAD);
  const token = encodeBase64Url(b, C_BYTES);
  const claims: ChallengeClaims = {
    keyId: key.id,
    issuedAtMs,
    expiresAtMs: issuedAtMs + lifetimeS * 1000,
    work,
    level: input.level,
    noJsWaitS,
    // The token's characters 20..35 spell bytes 15..26 (three bytes are four characters): no second encoding.
    nonce: token.slice(NONCE_CHARS, NONCE_CHARS + 16),
    tag,
  };
  return { token, claims };
}

/**
 * Verifies a challenge token for `site` and `client` at `nowMs`, its client slot read as `binding`
 * (default `prefix`). Failure reasons, in check order: malformed, unknown_key, bad_signature, expired,
 * not_yet_valid, wrong_site, wrong_prefix / wrong_network, wrong_ua.
 */
export function verifyChallengeToken(token: string, keys: KeyRing, site: SiteTag, client: ChallengeClient, nowMs: number, binding?: TokenBinding): VerifyResult<ChallengeClaims> {
  const failure = openRecord(token, C_BYTES, C_VERSION, C_PAYLOAD, C_TAG_VIEW, keys, nowMs, 'challenge');
  if (failure !== undefined) return { ok: false, reason: failure };
  const b = RECORD;
  const issuedAtMs = readUint48(b, 5);
  const expiresAtMs = issuedAtMs + ((b[11] << 8) | b[12]) * 1000;
  const timeFailure = checkTimes(issuedAtMs, expiresAtMs, nowMs);
  if (timeFailure !== undefined) return { ok: false, reason: timeFailure };
  const work: PowWork = { count: b[28], bits: b[13] };
  if (b[14] >= THREAT_LEVELS.length || !isValidWork(work)) return { ok: false, reason: 'malformed' };
  if (!bytesEqual(b, 29, site.digest, 0, BINDING_DIGEST_BYTES)) return { ok: false, reason: 'wrong_site' };
  writeTokenClient(binding, client, DIGEST, 0);
  if (!bytesEqual(b, 37, DIGEST, 0, BINDING_DIGEST_BYTES)) return { ok: false, reason: binding === 'network' ? 'wrong_network' : 'wrong_prefix' };
  writeBindingDigest(BINDING_USER_AGENT, client.userAgent, DIGEST, 0);
  if (!bytesEqual(b, 45, DIGEST, 0, BINDING_DIGEST_BYTES)) return { ok: false, reason: 'wrong_ua' };
  return {
    ok: true,
    claims: {
      keyId: readUint32(b, 1),
      issuedAtMs,
      expiresAtMs,
      work,
      level: THREAT_LEVELS[b[14]],
      noJsWaitS: b[27],
      nonce: readNonce(),
      tag: (b[53] << 16) | (b[54] << 8) | b[55],
    },
  };
}
