/**
 * Seeded 32-bit string hashing for the detector's sketches (HyperLogLog, sampling).
 *
 * The mixing is MurmurHash3 x86_32's (public-domain algorithm by Austin Appleby): the string is read
 * as UTF-16 code units, two per 32-bit block, so no encoding step and no allocation. The finaliser
 * spreads every input bit over the output, which HyperLogLog needs (its register index and rank come
 * from different bit ranges of one hash). The seed lets a deployment pick a secret per process, so an
 * attacker cannot precompute keys that all land in one register.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3's 32-bit finaliser: an avalanche mix of one 32-bit value. Result is unsigned. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hash of a string with a seed (default 0), as an unsigned 32-bit integer. ~15–40 ns for short keys
 * such as addresses. Equal strings and seeds give equal hashes; different seeds give unrelated ones.
 */
export function hash32(s: string, seed = 0): number {
  let h = seed | 0;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = s.charCodeAt(i);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  return mix32(h ^ n);
}
