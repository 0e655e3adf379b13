/**
 * What challenge tokens and clearance cookies share: the scratch buffer a record is decoded into, the
 * check of its length, version, key and HMAC tag (in constant time), its times, and the types both use.
 * See ./tokens.ts for what the records are.
 */

import { timingSafeEqual } from 'node:crypto';
import type { ThreatLevel } from '../vocabulary.ts';
import { THREAT_LEVELS } from '../vocabulary.ts';
import { hmacSha256, type HmacSha256Key } from './sha256.ts';
import { decodeBase64UrlExact, readUint32 } from './bytes.ts';
import type { KeyRing } from './key-ring.ts';

/** Fills `out[offset..offset+length)` with cryptographically strong random bytes (injected: core is pure). */
export type RandomFill = (out: Uint8Array, offset: number, length: number) => void;

/** How far in the future a token's issue time may be (another node's clock running ahead), in ms. */
export const MAX_CLOCK_SKEW_MS = 30_000;
/** Bytes of the truncated HMAC tag (128 bits). */
export const TAG_BYTES = 16;

/** The record being minted or verified (one at a time: everything here is synchronous). */
export const RECORD = Buffer.alloc(80);
const TAG = Buffer.alloc(32);
const TAG_VIEW = TAG.subarray(0, TAG_BYTES);

/** Computes the tag of `RECORD[0..payload)` with `key` into `RECORD[payload..payload+16)`. */
export function signRecord(key: HmacSha256Key, payload: number): void {
  hmacSha256(key, RECORD, payload, TAG);
  RECORD.set(TAG_VIEW, payload);
}

/** The threat level as its byte in a record. */
export function levelCode(level: ThreatLevel): number {
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
 * Decodes `text` into RECORD and checks its length and alphabet, version, key id and tag. Undefined when
 * the record is genuine (RECORD then holds it), else why not.
 */
export function openRecord(text: string, bytes: number, version: number, payload: number, tagView: Buffer, keys: KeyRing, nowMs: number, purpose: 'challenge' | 'clearance'): TokenFailure | undefined {
  if (typeof text !== 'string' || !decodeBase64UrlExact(text, bytes, RECORD) || RECORD[0] !== version) return 'malformed';
  const key = keys.find(readUint32(RECORD, 1), nowMs);
  if (key === undefined) return 'unknown_key';
  const mac: HmacSha256Key = key[purpose];
  hmacSha256(mac, RECORD, payload, TAG);
  if (!timingSafeEqual(TAG_VIEW, tagView)) return 'bad_signature';
  return undefined;
}

/** Whether a record issued at `issuedAtMs` and expiring at `expiresAtMs` is valid at `nowMs`. */
export function checkTimes(issuedAtMs: number, expiresAtMs: number, nowMs: number): TokenFailure | undefined {
  if (nowMs >= expiresAtMs) return 'expired';
  if (issuedAtMs > nowMs + MAX_CLOCK_SKEW_MS) return 'not_yet_valid';
  return undefined;
}
