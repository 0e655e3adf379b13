/**
 * The seeded, non-cryptographic string hashes Bulwark's sketches and bounded tables share, built on one
 * MurmurHash3 core (public-domain algorithm by Austin Appleby): its block mix and its 32-bit finaliser.
 *
 * - `hash32`: MurmurHash3 x86_32 over a string's UTF-16 code units, two per 32-bit block (no encoding
 *   step, no allocation). The detector's HyperLogLog and KMV sketches and window aggregates take their
 *   register index, rank and bottom-k values from it; those are persisted and shared between workers
 *   and nodes, so its output must never change (sketch/hash.test.ts holds fixed vectors).
 * - `hashString64` / `hashChain64` / `hashWordsChain64`: a 64-bit hash in two uint32 lanes (a MurmurHash3
 *   lane and an xxHash32-style lane) for count-min cells, rate-limit keys and table buckets, where a
 *   32-bit hash would collide too often among millions of keys.
 * - `fmix32`: the finaliser alone, an avalanche mix of one 32-bit value (also the header fingerprint's).
 *
 * Every hash is seeded per process so that an attacker cannot precompute keys that pile into one
 * register, cell or bucket. Not for anything that needs collision resistance against a chosen input
 * with a known seed: use node:crypto there.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const TWO_32 = 4294967296;

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. Result is a uint32 (int32 or uint32 input alike). */
export function fmix32(h: number): number {
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
  return fmix32(h ^ n);
}

/**
 * Seeded 64-bit hash of a string, written as two uint32 lanes into `out[0]` and `out[1]`.
 *
 * `seed` is any integer in [0, 2^53): its low and high 32 bits seed the two lanes, then the key is run
 * through {@link hashChain64}. Not cryptographic; its job is spreading keys evenly and making cell and
 * bucket choices unpredictable without the seed. The tables built on it stay correct (only less
 * precise) even under collisions, so safety never rests on hash quality.
 */
export function hashString64(key: string, seed: number, out: Uint32Array): void {
  out[0] = (seed >>> 0) ^ 0x243f6a88;
  out[1] = fmix32((Math.floor(seed / TWO_32) >>> 0) ^ 0x85a308d3);
  hashChain64(key, out);
}

/** hashChain64's characters packed into words (grown for long inputs; single-threaded, so one is enough). */
let packed = new Uint32Array(160);

/**
 * Fold one part into a running 64-bit hash state (`state[0..1]`, uint32 lanes), in place — for keys made
 * of several parts, hashed without first concatenating them into a string.
 *
 * The characters are packed into 32-bit words and folded by {@link hashWordsChain64} with the part's
 * length as the tag: four per word while they are one-byte characters (addresses, prefixes,
 * fingerprints, most header values — half the words of two UTF-16 units per word), two UTF-16 units per
 * word from the first group of four that holds a wider one, a last odd character alone, and finally the
 * position where the packing switched. Given the length and that position the words decode to exactly
 * one string, so two different strings never feed the same input; because every part's length goes in,
 * part boundaries are unambiguous (`'a|b','c'` and `'a','b|c'` differ), and `undefined` (an absent value,
 * length −1) differs from every string, `''` included. Only the first `maxChars` code units are read
 * (default: all); the full length still goes in.
 */
export function hashChain64(part: string | undefined, state: Uint32Array, maxChars = Infinity): void {
  const len = part === undefined ? -1 : part.length;
  const n = len > maxChars ? maxChars : len;
  if (n + 2 > packed.length * 2) packed = new Uint32Array(n + 2);
  const words = packed;
  let w = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const c0 = (part as string).charCodeAt(i);
    const c1 = (part as string).charCodeAt(i + 1);
    const c2 = (part as string).charCodeAt(i + 2);
    const c3 = (part as string).charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 0xff) break;
    words[w++] = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
  }
  const wideFrom = i;
  for (; i + 1 < n; i += 2) words[w++] = (part as string).charCodeAt(i) | ((part as string).charCodeAt(i + 1) << 16);
  if (i < n) words[w++] = (part as string).charCodeAt(i);
  words[w++] = wideFrom;
  hashWordsChain64(words, 0, w, len, state);
}

/**
 * Fold `n` 32-bit words (`words[from]` to `words[from + n − 1]`) into a running 64-bit hash state, tagged
 * with `tag`: two differently built lanes, a MurmurHash3-style one and an xxHash32-style one that also
 * takes the first lane's state in, both finalised with the tag and crossed. Strings come here through
 * {@link hashChain64} (tag: their length, ≥ 0; an absent value −1); values that are words already — an
 * IP address (one word for IPv4, four for IPv6), another hash — come directly, each kind with a negative
 * tag of its own, so the kinds never line up with each other.
 */
export function hashWordsChain64(words: Uint32Array, from: number, n: number, tag: number, state: Uint32Array): void {
  let h1 = state[0] | 0;
  let h2 = (state[1] ^ tag) | 0;
  for (let i = from; i < from + n; i++) {
    const k = words[i] | 0;
    let k1 = Math.imul(k, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    h1 ^= Math.imul(k1, C2);
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 = (h2 + Math.imul(k ^ h1, P2)) | 0;
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = Math.imul(h2, P1);
  }
  h1 = fmix32(h1 ^ tag);
  h2 = fmix32(h2 ^ h1);
  state[0] = (h1 + Math.imul(h2, P1)) >>> 0;
  state[1] = h2;
}
