/** Shared fixtures for the challenge tests (deterministic keys, randomness and clients). Not used at run time. */

import { createHash } from 'node:crypto';
import { createKeyRing, type KeyRing } from './key-ring.ts';
import type { ChallengeClient, RandomFill } from './tokens.ts';

/** A deterministic 32-byte secret derived from `label`. */
export function testSecret(label: string): Buffer {
  return createHash('sha256').update(`bulwark-test-secret:${label}`).digest();
}

/** A key ring with only a current key. */
export function testRing(label = 'k1'): KeyRing {
  return createKeyRing({ current: testSecret(label) });
}

/** Deterministic "random" bytes: a counter-mode SHA-256 stream (tests only). */
export function testRandom(seed = 'r'): RandomFill {
  let counter = 0;
  return (out, offset, length) => {
    let filled = 0;
    while (filled < length) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      const n = Math.min(block.length, length - filled);
      out.set(block.subarray(0, n), offset + filled);
      filled += n;
    }
  };
}

export const ALICE: ChallengeClient = {
  address: '203.0.113.7',
  prefix: '203.0.113.0/24',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
};

export const MALLORY: ChallengeClient = {
  address: '198.51.100.9',
  prefix: '198.51.100.0/24',
  userAgent: ALICE.userAgent,
};

/** A fixed "now": 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);
