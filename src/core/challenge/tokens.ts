/**
 * Challenge tokens and clearance cookies: stateless, HMAC-SHA256-signed (RFC 2104, tag truncated to 128
 * bits as RFC 4868 §2.3 does), compact, and safe in URLs, form fields and cookies (base64url, RFC 4648 §5).
 *
 * - A *challenge token* is handed out with a challenge page. It says which site, client (prefix, or
 *   network for the `network` binding) and user agent it was issued to, when, for how long, how much
 *   work it asks (sub-challenges and their bits) at which threat level, whether the no-JS path is open
 *   (and its minimum wait), and carries a random nonce (the proof-of-work seed and the id under which an
 *   answer is accepted once).
 * - A *clearance cookie* is handed out when a challenge is solved. It says which site, which client (see
 *   {@link ClearanceBinding}) and until when, at which level it was earned, and what it proves: the work
 *   of the proof of work it answered, or the wait of the no-JS path — so it satisfies only challenges
 *   asking no more (./proof.ts).
 *
 * Both are fixed-size binary records (lengths are multiples of 3, so the base64url spelling is unique),
 * verified cheapest-check-first: length and alphabet, version, key id, then the tag in constant time
 * (`crypto.timingSafeEqual`), then times and bindings. Time is the `nowMs` argument; randomness an
 * injected function. A change of layout changes the version byte, so a record of an older layout is
 * refused as malformed (a visitor then solves one new challenge).
 */

import { timingSafeEqual } from 'node:crypto';
import type { ThreatLevel } from '../vocabulary.ts';
import { THREAT_LEVELS } from '../vocabulary.ts';
import { hmacSha256, type HmacSha256Key } from './sha256.ts';
import { decodeBase64UrlExact, encodeBase64Url, readUint32, readUint48, writeUint32, writeUint48, bytesEqual } from './bytes.ts';
import {
  BINDING_ADDRESS, BINDING_NETWORK, BINDING_PREFIX, BINDING_STACK, BINDING_USER_AGENT, BINDING_DIGEST_BYTES,
  networkKeyOf, stackKeyOf, writeBindingDigest, type SiteTag,
} from './binding.ts';
import type { KeyRing } from './key-ring.ts';
import { isValidWork, type PowWork } from './pow.ts';

/** Fills `out[offset..offset+length)` with cryptographically strong random bytes (injected: core is pure). */
export type RandomFill = (out: Uint8Array, offset: number, length: number) => void;

/** How far in the future a token's issue time may be (another node's clock running ahead), in ms. */
export const MAX_CLOCK_SKEW_MS = 30_000;
/** Bytes of the truncated HMAC tag (128 bits). */
const TAG_BYTES = 16;

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

// ---- clearance cookie layout (63 bytes = 84 characters) ----
// 0 version · 1-4 key id · 5-10 issued at · 11-14 lifetime s · 15 level · 16 binding kind · 17 via ·
// 18 sub-challenges (0 for no-JS) · 19 bits, or the no-JS wait in s · 20-27 site · 28-35 where (prefix,
// address or network digest) · 36-43 who (user agent or stack digest, zero when unbound) · 44-46 zero.
const K_VERSION = 0xd2;
const K_PAYLOAD = 47;
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
  | 'wrong_binding_mode'
  | 'wrong_prefix'
  | 'wrong_address'
  | 'wrong_network'
  | 'wrong_ua';

/** The typed result of verifying a token or cookie. */
export type VerifyResult<C> = { readonly ok: true; readonly claims: C } | { readonly ok: false; readonly reason: TokenFailure };

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

/** The client a token is issued to or checked against, as identify sees it. */
export interface ChallengeClient {
  /** Normalised client address (e.g. `203.0.113.7`, `2001:db8::1`). */
  readonly address: string;
  /** Its prefix key (e.g. `203.0.113.0/24`, `2001:db8::/64`). */
  readonly prefix: string;
  /** The User-Agent header ('' when absent). */
  readonly userAgent: string;
  /** The address's autonomous system (offline data), null or absent when unknown: the `network` binding. */
  readonly asn?: number | null;
  /** The Accept-Language header: part of the browser stack the `network` binding ties a clearance to. */
  readonly acceptLanguage?: string;
}

/**
 * What a clearance is bound to, chosen per site (the no-JS path ignores it: see {@link ClearanceKind}).
 * - `prefix` (default): the client's /24 or /64 — survives address changes inside it (mobile, IPv6
 *   privacy addresses), breaks when a visitor moves between IPv4 and IPv6 or across a carrier's pool.
 * - `address`: the exact address — breaks on any address change.
 * - `network`: the address's autonomous system (its prefix when unknown) together with the browser
 *   stack (user agent and Accept-Language) — survives dual-stack and carrier-pool moves; one cookie is
 *   worth as much anywhere in that network to whoever copies it with the same headers.
 */
export type ClearanceBinding = 'prefix' | 'address' | 'network';
/** How a clearance was earned. */
export type ClearanceVia = 'pow' | 'nojs';
/**
 * What a clearance cookie is actually bound to: the site's {@link ClearanceBinding} for a proof of work;
 * the exact address and user agent (`nojs_client`) for the no-JS path, whatever the site chose.
 */
export type ClearanceKind = ClearanceBinding | 'nojs_client';

/** What a clearance proves: the work of the challenge it answered, or the wait of the no-JS path. */
export type ClearanceProof = { readonly via: 'pow'; readonly work: PowWork } | { readonly via: 'nojs'; readonly waitS: number };

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
  const b = BUF;
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
  hmacSha256(key.challenge, b, C_PAYLOAD, TAG);
  b.set(TAG_VIEW, C_PAYLOAD);
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
 * Verifies a challenge token for `site` and `client` at `nowMs`, its client slot read as `binding`
 * (default `prefix`). Failure reasons, in check order: malformed, unknown_key, bad_signature, expired,
 * not_yet_valid, wrong_site, wrong_prefix / wrong_network, wrong_ua.
 */
export function verifyChallengeToken(token: string, keys: KeyRing, site: SiteTag, client: ChallengeClient, nowMs: number, binding?: TokenBinding): VerifyResult<ChallengeClaims> {
  const failure = openRecord(token, C_BYTES, C_VERSION, C_PAYLOAD, C_TAG_VIEW, keys, nowMs, 'challenge');
  if (failure !== undefined) return { ok: false, reason: failure };
  const b = BUF;
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

/** What a clearance cookie says (after its tag was checked). */
export interface ClearanceClaims {
  readonly keyId: number;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  /** The site's threat level when the challenge was solved. */
  readonly level: ThreatLevel;
  readonly binding: ClearanceKind;
  readonly via: ClearanceVia;
  /** What it proves (compare with a challenge's ask: ./proof.ts). */
  readonly proof: ClearanceProof;
}

/** Inputs of {@link mintClearance}. */
export interface ClearanceInput {
  readonly site: SiteTag;
  readonly client: ChallengeClient;
  /** The site's binding; a no-JS proof is always bound to the exact address and user agent. */
  readonly binding: ClearanceBinding;
  readonly level: ThreatLevel;
  readonly proof: ClearanceProof;
  /** Seconds, ≥ 1. */
  readonly lifetimeS: number;
}

const KIND_CODE: Readonly<Record<ClearanceKind, number>> = { prefix: BINDING_PREFIX, address: BINDING_ADDRESS, network: BINDING_NETWORK, nojs_client: BINDING_USER_AGENT };

/** The kind a clearance of `via` gets on a site bound by `binding`. */
export function clearanceKindOf(binding: ClearanceBinding, via: ClearanceVia): ClearanceKind {
  return via === 'nojs' ? 'nojs_client' : binding;
}

/** Writes the clearance's two binding slots (where, who) for `kind` and `client` at `out[offset..+16)`. */
function writeClearanceSlots(kind: ClearanceKind, client: ChallengeClient, out: Uint8Array, offset: number): void {
  switch (kind) {
    case 'prefix':
      writeBindingDigest(BINDING_PREFIX, client.prefix, out, offset);
      out.fill(0, offset + 8, offset + 16);
      return;
    case 'address':
      writeBindingDigest(BINDING_ADDRESS, client.address, out, offset);
      out.fill(0, offset + 8, offset + 16);
      return;
    case 'network':
      writeBindingDigest(BINDING_NETWORK, networkKeyOf(client.asn, client.prefix), out, offset);
      writeBindingDigest(BINDING_STACK, stackKeyOf(client.userAgent, client.acceptLanguage), out, offset + 8);
      return;
    case 'nojs_client':
      writeBindingDigest(BINDING_ADDRESS, client.address, out, offset);
      writeBindingDigest(BINDING_USER_AGENT, client.userAgent, out, offset + 8);
  }
}

const SLOTS = new Uint8Array(2 * BINDING_DIGEST_BYTES);
const WHERE_FAILURE: Readonly<Record<ClearanceKind, TokenFailure>> = { prefix: 'wrong_prefix', address: 'wrong_address', network: 'wrong_network', nojs_client: 'wrong_address' };

/**
 * Signs a clearance cookie value with the ring's current key. Cost: one or two (memoised) binding
 * digests, one HMAC block.
 */
export function mintClearance(input: ClearanceInput, keys: KeyRing, nowMs: number): { value: string; claims: ClearanceClaims } {
  if (!(input.lifetimeS >= 1 && input.lifetimeS <= 0xffffffff)) throw new RangeError('clearance: lifetimeS out of range');
  const proof = input.proof;
  if (proof.via === 'pow' ? !isValidWork(proof.work) : !(Number.isInteger(proof.waitS) && proof.waitS >= 1 && proof.waitS <= 255)) {
    throw new RangeError('clearance: proof out of range');
  }
  const key = keys.current;
  const b = BUF;
  const issuedAtMs = Math.floor(nowMs);
  const kind = clearanceKindOf(input.binding, proof.via);
  b[0] = K_VERSION;
  writeUint32(b, 1, key.id);
  writeUint48(b, 5, issuedAtMs);
  writeUint32(b, 11, input.lifetimeS);
  b[15] = levelCode(input.level);
  b[16] = KIND_CODE[kind];
  b[17] = proof.via === 'nojs' ? 1 : 0;
  b[18] = proof.via === 'pow' ? proof.work.count : 0;
  b[19] = proof.via === 'pow' ? proof.work.bits : proof.waitS;
  b.set(input.site.digest, 20);
  writeClearanceSlots(kind, input.client, b, 28);
  b[44] = 0; b[45] = 0; b[46] = 0;
  hmacSha256(key.clearance, b, K_PAYLOAD, TAG);
  b.set(TAG_VIEW, K_PAYLOAD);
  const claims: ClearanceClaims = {
    keyId: key.id,
    issuedAtMs,
    expiresAtMs: issuedAtMs + input.lifetimeS * 1000,
    level: input.level,
    binding: kind,
    via: proof.via,
    proof: proof.via === 'pow' ? { via: 'pow', work: { count: proof.work.count, bits: proof.work.bits } } : { via: 'nojs', waitS: proof.waitS },
  };
  return { value: encodeBase64Url(b, K_BYTES), claims };
}

/** The proof stored in BUF's clearance fields, or undefined when they are not a valid proof. */
function readProof(): ClearanceProof | undefined {
  const b = BUF;
  if (b[17] === 0) {
    const work: PowWork = { count: b[18], bits: b[19] };
    return isValidWork(work) ? { via: 'pow', work } : undefined;
  }
  if (b[17] === 1 && b[18] === 0 && b[19] >= 1) return { via: 'nojs', waitS: b[19] };
  return undefined;
}

/**
 * Verifies a clearance cookie value for `site` and `client` at `nowMs` on a site bound by `binding`: a
 * proof-of-work clearance must carry that binding, a no-JS one the exact address and user agent.
 * Failure reasons, in check order: malformed, unknown_key, bad_signature, expired, not_yet_valid,
 * wrong_site, wrong_binding_mode, wrong_prefix / wrong_address / wrong_network, wrong_ua.
 */
export function verifyClearance(value: string, keys: KeyRing, site: SiteTag, binding: ClearanceBinding, client: ChallengeClient, nowMs: number): VerifyResult<ClearanceClaims> {
  const failure = openRecord(value, K_BYTES, K_VERSION, K_PAYLOAD, K_TAG_VIEW, keys, nowMs, 'clearance');
  if (failure !== undefined) return { ok: false, reason: failure };
  const b = BUF;
  const issuedAtMs = readUint48(b, 5);
  const expiresAtMs = issuedAtMs + readUint32(b, 11) * 1000;
  const timeFailure = checkTimes(issuedAtMs, expiresAtMs, nowMs);
  if (timeFailure !== undefined) return { ok: false, reason: timeFailure };
  const proof = readProof();
  if (proof === undefined || b[15] >= THREAT_LEVELS.length || (b[44] | b[45] | b[46]) !== 0) return { ok: false, reason: 'malformed' };
  if (!bytesEqual(b, 20, site.digest, 0, BINDING_DIGEST_BYTES)) return { ok: false, reason: 'wrong_site' };
  const kind = clearanceKindOf(binding, proof.via);
  if (b[16] !== KIND_CODE[kind]) return { ok: false, reason: 'wrong_binding_mode' };
  writeClearanceSlots(kind, client, SLOTS, 0);
  if (!bytesEqual(b, 28, SLOTS, 0, BINDING_DIGEST_BYTES)) return { ok: false, reason: WHERE_FAILURE[kind] };
  if (!bytesEqual(b, 36, SLOTS, BINDING_DIGEST_BYTES, BINDING_DIGEST_BYTES)) return { ok: false, reason: 'wrong_ua' };
  return {
    ok: true,
    claims: { keyId: readUint32(b, 1), issuedAtMs, expiresAtMs, level: THREAT_LEVELS[b[15]], binding: kind, via: proof.via, proof },
  };
}
