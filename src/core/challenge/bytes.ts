/**
 * Small byte helpers for the challenge tokens: strict base64url (RFC 4648 §5) and big-endian integers.
 *
 * The decoder is strict on purpose: Node's `Buffer.from(s, 'base64url')` skips characters outside the
 * alphabet and also accepts `+`/`/`, so two different strings could decode to the same token. Here a
 * token string has exactly one accepted spelling, which is what "any single-bit change is rejected"
 * needs. Token lengths are multiples of 3 bytes, so there are no padding bits either.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Base64url of `bytes[0..length)`, without padding. `length` must be a multiple of 3. */
export function encodeBase64Url(bytes: Uint8Array, length: number): string {
  return bytes instanceof Buffer ? bytes.toString('base64url', 0, length) : Buffer.from(bytes.buffer, bytes.byteOffset, length).toString('base64url');
}

/**
 * Decodes `text` into `out[0..byteLength)` if and only if `text` is exactly the unpadded base64url
 * spelling of `byteLength` bytes (`byteLength` a multiple of 3). Returns false otherwise; `out` may then
 * hold garbage.
 */
export function decodeBase64UrlExact(text: string, byteLength: number, out: Uint8Array): boolean {
  if (text.length !== (byteLength / 3) * 4) return false;
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const c0 = text.charCodeAt(i), c1 = text.charCodeAt(i + 1), c2 = text.charCodeAt(i + 2), c3 = text.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 127) return false;
    const a = DECODE[c0], b = DECODE[c1], c = DECODE[c2], d = DECODE[c3];
    if ((a | b | c | d) < 0) return false;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = v >>> 16; out[o + 1] = v >>> 8; out[o + 2] = v;
    o += 3;
  }
  return true;
}

/** Writes a non-negative integer below 2^48 big-endian into `out[offset..offset+6)`. */
export function writeUint48(out: Uint8Array, offset: number, value: number): void {
  const high = Math.floor(value / 0x100000000);
  const low = value >>> 0;
  out[offset] = high >>> 8; out[offset + 1] = high;
  out[offset + 2] = low >>> 24; out[offset + 3] = low >>> 16; out[offset + 4] = low >>> 8; out[offset + 5] = low;
}

/** Reads a big-endian 48-bit unsigned integer from `bytes[offset..offset+6)`. */
export function readUint48(bytes: Uint8Array, offset: number): number {
  const high = (bytes[offset] << 8) | bytes[offset + 1];
  const low = ((bytes[offset + 2] << 24) | (bytes[offset + 3] << 16) | (bytes[offset + 4] << 8) | bytes[offset + 5]) >>> 0;
  return high * 0x100000000 + low;
}

/** Writes a 32-bit unsigned integer big-endian into `out[offset..offset+4)`. */
export function writeUint32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24; out[offset + 1] = value >>> 16; out[offset + 2] = value >>> 8; out[offset + 3] = value;
}

/** Reads a big-endian 32-bit unsigned integer from `bytes[offset..offset+4)`. */
export function readUint32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

/** True when `a[aOff..aOff+n)` equals `b[bOff..bOff+n)`. Not constant-time: for non-secret binding digests only. */
export function bytesEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}
