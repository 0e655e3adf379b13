/**
 * Clearance cookies: handed out when a challenge is solved, recording what the answer proved (see
 * ./tokens.ts and ./proof.ts).
 */

import type { ThreatLevel } from '../vocabulary.ts';
import { THREAT_LEVELS } from '../vocabulary.ts';
import { encodeBase64Url, readUint32, readUint48, writeUint32, writeUint48, bytesEqual } from './bytes.ts';
import {
  BINDING_ADDRESS, BINDING_NETWORK, BINDING_PREFIX, BINDING_STACK, BINDING_USER_AGENT, BINDING_DIGEST_BYTES,
  networkKeyOf, stackKeyOf, writeBindingDigest, type SiteTag,
} from './binding.ts';
import type { KeyRing } from './key-ring.ts';
import { isValidWork, type PowWork } from './pow.ts';
import { checkTimes, levelCode, openRecord, RECORD, signRecord, TAG_BYTES, type ChallengeClient, type TokenFailure, type VerifyResult } from './token-record.ts';

// ---- clearance cookie layout (63 bytes = 84 characters) ----
// 0 version · 1-4 key id · 5-10 issued at · 11-14 lifetime s · 15 level · 16 binding kind · 17 via ·
// 18 sub-challenges (0 for no-JS) · 19 bits, or the no-JS wait in s · 20-27 site · 28-35 where (prefix,
// address or network digest) · 36-43 who (user agent or stack digest, zero when unbound) · 44-46 zero.
const K_VERSION = 0xd2;
const K_PAYLOAD = 47;
const K_BYTES = K_PAYLOAD + TAG_BYTES;
/** Length of a clearance cookie value. */
export const CLEARANCE_LENGTH = (K_BYTES / 3) * 4;
const K_TAG_VIEW = RECORD.subarray(K_PAYLOAD, K_BYTES);

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
  const b = RECORD;
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
  signRecord(key.clearance, K_PAYLOAD);
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

/** The proof stored in the record's clearance fields, or undefined when they are not a valid proof. */
function readProof(): ClearanceProof | undefined {
  const b = RECORD;
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
  const b = RECORD;
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
