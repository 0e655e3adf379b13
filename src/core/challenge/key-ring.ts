/**
 * The signing keys for challenge tokens and clearance cookies: the current key, plus the previous one
 * still accepted for a grace period after a rotation, so visitors are not all signed out at once.
 *
 * Each token carries a 4-byte key id, so verification picks its key directly instead of trying them all.
 * The id and two purpose-specific sub-keys (one for challenge tokens, one for clearance cookies) are
 * derived from the secret with HMAC (RFC 2104), so a value signed for one purpose never verifies as the
 * other, and the id reveals nothing about the secret.
 */

import { createHmacSha256Key, hmacSha256, type HmacSha256Key } from './sha256.ts';
import { readUint32 } from './bytes.ts';

/** Minimum secret length in bytes (RFC 2104 §3: at least the hash output length). */
export const MIN_SECRET_BYTES = 32;

/** What a key ring is built from: raw secrets, as stored by the edge key store. */
export interface KeyRingInput {
  /** The key new tokens are signed with. */
  readonly current: Uint8Array;
  /** The key that was current before the last rotation, accepted until `acceptUntilMs`. */
  readonly previous?: { readonly secret: Uint8Array; readonly acceptUntilMs: number };
}

/** One key, ready for signing: its id and its per-purpose HMAC keys. */
export interface SigningKey {
  readonly id: number;
  readonly challenge: HmacSha256Key;
  readonly clearance: HmacSha256Key;
}

/** A compiled key ring. Immutable: build a new one after a rotation. */
export interface KeyRing {
  readonly current: SigningKey;
  readonly previous: (SigningKey & { readonly acceptUntilMs: number }) | undefined;
  /** The key with id `id` if it may still verify at `nowMs`; undefined for unknown or retired keys. */
  find(id: number, nowMs: number): SigningKey | undefined;
}

/** Error raised for an unusable key (too short, or two keys with the same id). */
export class KeyRingError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'KeyRingError';
    this.code = code;
  }
}

const LABEL_ID = Buffer.from('bulwark/key-id/v1');
const LABEL_CHALLENGE = Buffer.from('bulwark/challenge-token/v1');
const LABEL_CLEARANCE = Buffer.from('bulwark/clearance-cookie/v1');

function derive(master: HmacSha256Key, label: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  hmacSha256(master, label, label.length, out);
  return out;
}

/** Derives the id and purpose keys of one secret. Throws BULWARK_ERR_CHALLENGE_KEY_TOO_SHORT. */
export function compileSigningKey(secret: Uint8Array): SigningKey {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new KeyRingError('BULWARK_ERR_CHALLENGE_KEY_TOO_SHORT', `challenge key must be at least ${MIN_SECRET_BYTES} bytes, got ${secret.length}`);
  }
  const master = createHmacSha256Key(secret);
  const id = readUint32(derive(master, LABEL_ID), 0);
  return {
    id,
    challenge: createHmacSha256Key(derive(master, LABEL_CHALLENGE)),
    clearance: createHmacSha256Key(derive(master, LABEL_CLEARANCE)),
  };
}

/**
 * Compiles a key ring. The previous key, when given, verifies (never signs) until its `acceptUntilMs`.
 * Throws BULWARK_ERR_CHALLENGE_KEY_ID_COLLISION if both keys derive the same id (chance 2^-32: rotate again).
 */
export function createKeyRing(input: KeyRingInput): KeyRing {
  const current = compileSigningKey(input.current);
  const previous = input.previous
    ? { ...compileSigningKey(input.previous.secret), acceptUntilMs: input.previous.acceptUntilMs }
    : undefined;
  if (previous && previous.id === current.id) {
    throw new KeyRingError('BULWARK_ERR_CHALLENGE_KEY_ID_COLLISION', 'current and previous challenge keys have the same id; rotate again');
  }
  return {
    current,
    previous,
    find(id, nowMs) {
      if (id === current.id) return current;
      if (previous !== undefined && id === previous.id && nowMs < previous.acceptUntilMs) return previous;
      return undefined;
    },
  };
}
