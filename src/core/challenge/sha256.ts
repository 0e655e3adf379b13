/**
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) in plain TypeScript, for short messages on the hot path.
 *
 * Why not node:crypto? On Node 20 (OpenSSL 3) every `createHash`/`createHmac` call pays a fixed setup cost
 * of several microseconds (algorithm fetch, object creation); measured here: ~3 µs for one SHA-256 and
 * ~5 µs for one HMAC of 60 bytes, which alone would exceed the 5 µs budget for issuing a challenge or
 * checking a clearance. Our inputs are tiny (one or two 64-byte blocks), so the work is
 * dominated by that overhead. This implementation keeps HMAC key pads pre-absorbed (so an HMAC over one
 * block costs two compressions) and allocates nothing per call. It is checked byte for byte against
 * node:crypto by a property test on random inputs of every length around the block boundaries.
 *
 * Constant time: the compression uses only 32-bit adds, rotations and boolean operations, with no table
 * lookups indexed by data, so its timing does not depend on the message or key bytes.
 *
 * Not re-entrant across threads by design: scratch buffers are module-level (JavaScript runs one call at
 * a time per thread; worker threads get their own module instance).
 */

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const W = new Int32Array(64);
const TAIL = new Uint8Array(128);
const STATE = new Int32Array(8);
const INNER_DIGEST = new Uint8Array(32);

/** Absorbs one 64-byte block of `data` starting at `offset` into `state` (FIPS 180-4 §6.2.2). */
function compress(state: Int32Array, data: Uint8Array, offset: number): void {
  const w = W;
  for (let i = 0; i < 16; i++) {
    const j = offset + (i << 2);
    w[i] = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3];
  }
  let a = state[0], b = state[1], c = state[2], d = state[3];
  let e = state[4], f = state[5], g = state[6], h = state[7];
  for (let i = 0; i < 64; i++) {
    let wi: number;
    if (i < 16) {
      wi = w[i];
    } else {
      const x = w[i - 15];
      const y = w[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      wi = w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i] + wi) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0; state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0; state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0; state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0; state[7] = (state[7] + h) | 0;
}

/**
 * Absorbs `data[0..length)` into `state`, which has already absorbed `absorbed` bytes (a multiple of 64),
 * then applies the final padding. Afterwards `state` holds the digest words.
 */
function absorbAndFinish(state: Int32Array, data: Uint8Array, length: number, absorbed: number): void {
  let off = 0;
  for (; off + 64 <= length; off += 64) compress(state, data, off);
  const rest = length - off;
  const tail = TAIL;
  tail.fill(0);
  for (let i = 0; i < rest; i++) tail[i] = data[off + i];
  tail[rest] = 0x80;
  const tailLength = rest + 9 <= 64 ? 64 : 128;
  const bits = (absorbed + length) * 8;
  const high = Math.floor(bits / 0x100000000);
  tail[tailLength - 8] = high >>> 24; tail[tailLength - 7] = high >>> 16;
  tail[tailLength - 6] = high >>> 8; tail[tailLength - 5] = high;
  tail[tailLength - 4] = bits >>> 24; tail[tailLength - 3] = bits >>> 16;
  tail[tailLength - 2] = bits >>> 8; tail[tailLength - 1] = bits;
  compress(state, tail, 0);
  if (tailLength === 128) compress(state, tail, 64);
}

/** Writes the 8 state words big-endian into `out[offset..offset+32)`. */
function writeDigest(state: Int32Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < 8; i++) {
    const v = state[i];
    const j = offset + (i << 2);
    out[j] = v >>> 24; out[j + 1] = v >>> 16; out[j + 2] = v >>> 8; out[j + 3] = v;
  }
}

/**
 * SHA-256 of `data[0..length)` (default: all of it), written into `out` (a new 32-byte array by default).
 * Returns `out`.
 */
export function sha256(data: Uint8Array, length: number = data.length, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  STATE.set(IV);
  absorbAndFinish(STATE, data, length, 0);
  writeDigest(STATE, out, 0);
  return out;
}

/**
 * Number of leading zero bits of SHA-256(`data[0..length)`), without serialising the digest: the proof-of-work
 * check ("≥ difficulty leading zero bits"). 0..256.
 */
export function sha256LeadingZeroBits(data: Uint8Array, length: number = data.length): number {
  STATE.set(IV);
  absorbAndFinish(STATE, data, length, 0);
  let zeros = 0;
  for (let i = 0; i < 8; i++) {
    const z = Math.clz32(STATE[i]);
    zeros += z;
    if (z < 32) break;
  }
  return zeros;
}

/** An HMAC-SHA256 key with its inner and outer pads already absorbed (RFC 2104 §2). */
export interface HmacSha256Key {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

/** Prepares `secret` (any length; RFC 2104 hashes keys longer than 64 bytes) for {@link hmacSha256}. */
export function createHmacSha256Key(secret: Uint8Array): HmacSha256Key {
  const block = new Uint8Array(64);
  block.set(secret.length > 64 ? sha256(secret) : secret);
  const pad = new Uint8Array(64);
  const inner = Int32Array.from(IV);
  const outer = Int32Array.from(IV);
  for (let i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
  compress(inner, pad, 0);
  for (let i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5c;
  compress(outer, pad, 0);
  block.fill(0);
  pad.fill(0);
  return { inner, outer };
}

/**
 * HMAC-SHA256 of `data[0..length)` under `key`, the full 32-byte tag written into `out[offset..offset+32)`.
 * A message of up to 55 bytes costs exactly two block compressions.
 */
export function hmacSha256(key: HmacSha256Key, data: Uint8Array, length: number, out: Uint8Array, offset = 0): void {
  STATE.set(key.inner);
  absorbAndFinish(STATE, data, length, 64);
  writeDigest(STATE, INNER_DIGEST, 0);
  STATE.set(key.outer);
  absorbAndFinish(STATE, INNER_DIGEST, 32, 64);
  writeDigest(STATE, out, offset);
}
