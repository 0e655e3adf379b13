/**
 * Challenge tokens and clearance cookies: stateless, HMAC-SHA256-signed (RFC 2104, tag truncated to 128
 * bits as RFC 4868 §2.3 does), compact, and safe in URLs, form fields and cookies (base64url, RFC 4648 §5).
 *
 * - A *challenge token* is handed out with a challenge page. It says which site, client prefix and user
 *   agent it was issued to, when, for how long, at which difficulty and threat level, whether the no-JS
 *   path is open (and its minimum wait), and carries a random nonce (the proof-of-work seed and the id
 *   under which a solution is accepted once).
 * - A *clearance cookie* is handed out when a challenge is solved. It says which site, which client
 *   (address or prefix, as configured) and until when, at which level it was earned, and how (proof of
 *   work or no-JS wait).
 *
 * Both are fixed-size binary records (lengths are multiples of 3, so the base64url spelling is unique),
 * verified cheapest-check-first: length and alphabet, version, key id, then the tag in constant time
 * (`crypto.timingSafeEqual`), then times and bindings. Time is the `nowMs` argument; randomness an
 * injected function.
 */

import { timingSafeEqual } from 'node:crypto';
import type { ThreatLevel } from '../vocabulary.ts';
import { THREAT_LEVELS } from '../vocabulary.ts';
import { hmacSha256, type HmacSha256Key } from './sha256.ts';
import { decodeBase64UrlExact, encodeBase64Url, readUint32, readUint48, writeUint32, writeUint48, bytesEqual } from './bytes.ts';
import { BINDING_ADDRESS, BINDING_PREFIX, BINDING_USER_AGENT, BINDING_DIGEST_BYTES, writeBindingDigest, type SiteTag } from './binding.ts';
import type { KeyRing } from './key-ring.ts';

/** Fills `out[offset..offset+length)` with cryptographically strong random bytes (injected: core is pure). */
export type RandomFill = (out: Uint8Array, offset: number, length: number) => void;

/** How far in the future a token's issue time may be (another node's clock running ahead), in ms. */
export const MAX_CLOCK_SKEW_MS = 30_000;
/** Bytes of the truncated HMAC tag (128 bits). */
const TAG_BYTES = 16;

// ---- challenge token layout (69 bytes = 92 characters) ----
const C_VERSION = 0xc1;
const C_PAYLOAD = 53;
const C_BYTES = C_PAYLOAD + TAG_BYTES;
/** Length of a challenge token string. */
export const CHALLENGE_TOKEN_LENGTH = (C_BYTES / 3) * 4;
/** Bytes 15..26 hold the nonce. */
const C_NONCE_OFFSET = 15;
const NONCE_BYTES = 12;

// ---- clearance cookie layout (51 bytes = 68 characters) ----
const K_VERSION = 0xd1;
const K_PAYLOAD = 35;
const K_BYTES = K_PAYLOAD + TAG_BYTES;
/** Length of a clearance cookie value. */
export const CLEARANCE_LENGTH = (K_BYTES / 3) * 4;

const BUF = Buffer.alloc(Math.max(C_BYTES, K_BYTES));
const TAG = Buffer.alloc(32);
const TAG_VIEW = TAG.subarray(0, TAG_BYTES);
const C_TAG_VIEW = BUF.subarray(C_PAYLOAD, C_BYTES);
const K_TAG_VIEW = BUF.subarray(K_PAYLOAD, K_BYTES);
const DIGEST = new Uint8Array(BINDING_DIGEST_BYTES);

/**
 * The nonce as a fresh 16-character string. Not `token.slice(...)`: V8 would keep a slice pointing into
 * the whole token (and whatever request body it came from) alive for as long as the replay set holds it.
 */
function readNonce(): string {
  return BUF.toString('base64url', C_NONCE_OFFSET, C_NONCE_OFFSET + NONCE_BYTES);
}

function levelCode(level: ThreatLevel): number {
  const i = THREAT_LEVELS.indexOf(level);
  if (i < 0) throw new TypeError(`unknown threat level ${String(level)}`);
  return i;
}

/** Why a token or cookie was refused. Checked in this order; the first failing check is reported. */
export type TokenFailure =
  | 'malformed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_site'
  | 'wrong_prefix'
  | 'wrong_address'
  | 'wrong_ua'
  | 'wrong_binding_mode';

/** The typed result of verifying a token or cookie. */
export type VerifyResult<C> = { readonly ok: true; readonly claims: C } | { readonly ok: false; readonly reason: TokenFailure };

/** What a challenge token says (after its tag was checked). */
export interface ChallengeClaims {
  readonly keyId: number;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly difficulty: number;
  readonly level: ThreatLevel;
  /** Minimum seconds before the no-JS path may clear; 0 when the no-JS path is closed. */
  readonly noJsWaitS: number;
  /** 16 base64url characters: the proof-of-work seed and the once-only id of a solution. */
  readonly nonce: string;
}

/** The client a token is issued to or checked against, as identify sees it. */
export interface ChallengeClient {
  /** Normalised client address (e.g. `203.0.113.7`, `2001:db8::1`). */
  readonly address: string;
  /** Its prefix key (e.g. `203.0.113.0/24`, `2001:db8::/64`). */
  readonly prefix: string;
  /** The User-Agent header ('' when absent). */
  readonly userAgent: string;
}

/** Inputs of {@link mintChallengeToken}. */
export interface ChallengeTokenInput {
  readonly site: SiteTag;
  readonly client: ChallengeClient;
  readonly level: ThreatLevel;
  /** Leading zero bits required, 0..32. */
  readonly difficulty: number;
  /** Seconds, 1..65535. */
  readonly lifetimeS: number;
  /** Minimum wait for the no-JS path, 0 (closed) .. 255 seconds. */
  readonly noJsWaitS: number;
}

/**
 * Signs a new challenge token with the ring's current key. Cost: one binding digest of the prefix, one of
 * the user agent, one HMAC of a single block, 12 random bytes.
 */
export function mintChallengeToken(input: ChallengeTokenInput, keys: KeyRing, nowMs: number, random: RandomFill): { token: string; claims: ChallengeClaims } {
  const { difficulty, lifetimeS, noJsWaitS } = input;
  if (!(difficulty >= 0 && difficulty <= 32 && lifetimeS >= 1 && lifetimeS <= 65535 && noJsWaitS >= 0 && noJsWaitS <= 255)) {
    throw new RangeError('challenge token: difficulty, lifetimeS or noJsWaitS out of range');
  }
  const key = keys.current;
  const b = BUF;
  const issuedAtMs = Math.floor(nowMs);
  b[0] = C_VERSION;
  writeUint32(b, 1, key.id);
  writeUint48(b, 5, issuedAtMs);
  b[11] = lifetimeS >>> 8; b[12] = lifetimeS;
  b[13] = difficulty;
  b[14] = levelCode(input.level);
  random(b, C_NONCE_OFFSET, NONCE_BYTES);
  b[27] = noJsWaitS;
  b[28] = 0;
  b.set(input.site.digest, 29);
  writeBindingDigest(BINDING_PREFIX, input.client.prefix, b, 37);
  writeBindingDigest(BINDING_USER_AGENT, input.client.userAgent, b, 45);
  hmacSha256(key.challenge, b, C_PAYLOAD, TAG);
  b.set(TAG_VIEW, C_PAYLOAD);
  const token = encodeBase64Url(b, C_BYTES);
  const claims: ChallengeClaims = {
    keyId: key.id,
    issuedAtMs,
    expiresAtMs: issuedAtMs + lifetimeS * 1000,
    difficulty,
    level: input.level,
    noJsWaitS,
    nonce: readNonce(),
  };
  return { token, claims };
}

/** Decodes, looks up the key and checks the tag; returns the key's purpose key or a failure. */
function openRecord(text: string, bytes: number, version: number, payload: number, tagView: Buffer, keys: KeyRing, nowMs: number, purpose: 'challenge' | 'clearance'): TokenFailure | undefined {
  if (typeof text !== 'string' || !decodeBase64UrlExact(text, bytes, BUF) || BUF[0] !== version) return 'malformed';
  const key = keys.find(readUint32(BUF, 1), nowMs);
  if (key === undefined) return 'unknown_key';
  const mac: HmacSha256Key = key[purpose];
  hmacSha256(mac, BUF, payload, TAG);
  if (!timingSafeEqual(TAG_VIEW, tagView)) return 'bad_signature';
  return undefined;
}

function checkTimes(issuedAtMs: number, expiresAtMs: number, nowMs: number): TokenFailure | undefined {
  if (nowMs >= expiresAtMs) return 'expired';
  if (issuedAtMs > nowMs + MAX_CLOCK_SKEW_MS) return 'not_yet_valid';
  return undefined;
}

/**
 * Verifies a challenge token for `site` and `client` at `nowMs`. Failure reasons, in check order:
 * malformed, unknown_key, bad_signature, expired, not_yet_valid, wrong_site, wrong_prefix, wrong_ua.
 */
export function verifyChallengeToken(token: string, keys: KeyRing, site: SiteTag, client: ChallengeClient, nowMs: number): VerifyResult<ChallengeClaims> {
  const failure = openRecord(token, C_BYTES, C_VERSION, C_PAYLOAD, C_TAG_VIEW, keys, nowMs, 'challenge');
  if (failure !== undefined) return { ok: false, reason: failure };
  const b = BUF;
  const issuedAtMs = readUint48(b, 5);
  const expiresAtMs = issuedAtMs + ((b[11] << 8) | b[12]) * 1000;
  const timeFailure = checkTimes(issuedAtMs, expiresAtMs, nowMs);
  if (timeFailure !== undefined) return { ok: false, reason: timeFailure };
  if (b[14] >= THREAT_LEVELS.length || b[28] !== 0) return { ok: false, reason: 'malformed' };
  if (!bytesEqual(b, 29, site.digest, 0, BINDING_DIGEST_BYTES)) return { ok: false, reason: 'wrong_site' };
  writeBindingDigest(BINDING_PREFIX, client.prefix, DIGEST, 0);
  if (!bytesEqual(b, 37, DIGEST, 0, BINDING_DIGEST_BYTES)) return { ok: false, reason: 'wrong_prefix' };
  writeBindingDigest(BINDING_USER_AGENT, client.userAgent, DIGEST, 0);
  if (!bytesEqual(b, 45, DIGEST, 0, BINDING_DIGEST_BYTES)) return { ok: false, reason: 'wrong_ua' };
  return {
    ok: true,
    claims: {
      keyId: readUint32(b, 1),
      issuedAtMs,
      expiresAtMs,
      difficulty: b[13],
      level: THREAT_LEVELS[b[14]],
      noJsWaitS: b[27],
      nonce: readNonce(),
    },
  };
}

/** What a clearance cookie is bound to: the client's exact address, or its prefix (default). */
export type ClearanceBinding = 'prefix' | 'address';
/** How a clearance was earned. */
export type ClearanceVia = 'pow' | 'nojs';

/** What a clearance cookie says (after its tag was checked). */
export interface ClearanceClaims {
  readonly keyId: number;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  /** The site's threat level when the challenge was solved. */
  readonly level: ThreatLevel;
  readonly binding: ClearanceBinding;
  readonly via: ClearanceVia;
}

/** Inputs of {@link mintClearance}. */
export interface ClearanceInput {
  readonly site: SiteTag;
  readonly client: ChallengeClient;
  readonly binding: ClearanceBinding;
  readonly level: ThreatLevel;
  readonly via: ClearanceVia;
  /** Seconds, ≥ 1. */
  readonly lifetimeS: number;
}

function bindingKind(binding: ClearanceBinding): number {
  return binding === 'address' ? BINDING_ADDRESS : BINDING_PREFIX;
}

/** Signs a clearance cookie value with the ring's current key. Cost: one binding digest, one HMAC block. */
export function mintClearance(input: ClearanceInput, keys: KeyRing, nowMs: number): { value: string; claims: ClearanceClaims } {
  if (!(input.lifetimeS >= 1 && input.lifetimeS <= 0xffffffff)) throw new RangeError('clearance: lifetimeS out of range');
  const key = keys.current;
  const b = BUF;
  const issuedAtMs = Math.floor(nowMs);
  const kind = bindingKind(input.binding);
  b[0] = K_VERSION;
  writeUint32(b, 1, key.id);
  writeUint48(b, 5, issuedAtMs);
  writeUint32(b, 11, input.lifetimeS);
  b[15] = levelCode(input.level);
  b[16] = kind;
  b[17] = input.via === 'nojs' ? 1 : 0;
  b.set(input.site.digest, 18);
  writeBindingDigest(kind, input.binding === 'address' ? input.client.address : input.client.prefix, b, 26);
  b[34] = 0;
  hmacSha256(key.clearance, b, K_PAYLOAD, TAG);
  b.set(TAG_VIEW, K_PAYLOAD);
  const claims: ClearanceClaims = {
    keyId: key.id,
    issuedAtMs,
    expiresAtMs: issuedAtMs + input.lifetimeS * 1000,
    level: input.level,
    binding: input.binding,
    via: input.via,
  };
  return { value: encodeBase64Url(b, K_BYTES), claims };
}

/**
 * Verifies a clearance cookie value for `site` and `client` at `nowMs`, bound the way the site is
 * configured (`binding`). Failure reasons, in check order: malformed, unknown_key, bad_signature, expired,
 * not_yet_valid, wrong_site, wrong_binding_mode, wrong_prefix / wrong_address.
 */
export function verifyClearance(value: string, keys: KeyRing, site: SiteTag, binding: ClearanceBinding, client: ChallengeClient, nowMs: number): VerifyResult<ClearanceClaims> {
  const failure = openRecord(value, K_BYTES, K_VERSION, K_PAYLOAD, K_TAG_VIEW, keys, nowMs, 'clearance');
  if (failure !== undefined) return { ok: false, reason: failure };
  const b = BUF;
  const issuedAtMs = readUint48(b, 5);
  const expiresAtMs = issuedAtMs + readUint32(b, 11) * 1000;
  const timeFailure = checkTimes(issuedAtMs, expiresAtMs, nowMs);
  if (timeFailure !== undefined) return { ok: false, reason: timeFailure };
  if (b[15] >= THREAT_LEVELS.length || b[17] > 1 || b[34] !== 0) return { ok: false, reason: 'malformed' };
  if (!bytesEqual(b, 18, site.digest, 0, BINDING_DIGEST_BYTES)) return { ok: false, reason: 'wrong_site' };
  const kind = bindingKind(binding);
  if (b[16] !== kind) return { ok: false, reason: 'wrong_binding_mode' };
  writeBindingDigest(kind, binding === 'address' ? client.address : client.prefix, DIGEST, 0);
  if (!bytesEqual(b, 26, DIGEST, 0, BINDING_DIGEST_BYTES)) return { ok: false, reason: binding === 'address' ? 'wrong_address' : 'wrong_prefix' };
  return {
    ok: true,
    claims: {
      keyId: readUint32(b, 1),
      issuedAtMs,
      expiresAtMs,
      level: THREAT_LEVELS[b[15]],
      binding,
      via: b[17] === 1 ? 'nojs' : 'pow',
    },
  };
}
