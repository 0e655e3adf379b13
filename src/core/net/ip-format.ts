/**
 * Text forms of addresses: dotted decimal for IPv4, RFC 5952 canonical text for IPv6
 * (lower case, no leading zeros, the longest run of two or more zero groups — leftmost on a tie —
 * compressed to `::`, https://www.rfc-editor.org/rfc/rfc5952#section-4).
 *
 * IPv4-mapped addresses are never formatted here as `::ffff:a.b.c.d`: parsing unmaps them first, so
 * they come out as plain IPv4.
 */

/** Scratch groups for formatting (module-level: formatting allocates only the result string). */
const g = new Int32Array(8);

/** Dotted-decimal text of a uint32 IPv4 address. */
export function formatV4(v4: number): string {
  return (v4 >>> 24) + '.' + ((v4 >>> 16) & 255) + '.' + ((v4 >>> 8) & 255) + '.' + (v4 & 255);
}

/** RFC 5952 text of an IPv6 address given as four big-endian uint32 words. */
export function formatV6Words(w0: number, w1: number, w2: number, w3: number): string {
  g[0] = w0 >>> 16;
  g[1] = w0 & 0xffff;
  g[2] = w1 >>> 16;
  g[3] = w1 & 0xffff;
  g[4] = w2 >>> 16;
  g[5] = w2 & 0xffff;
  g[6] = w3 >>> 16;
  g[7] = w3 & 0xffff;
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed (RFC 5952 §4.2.2)
  let runStart = -1;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && g[i] === 0) {
      if (runStart < 0) runStart = i;
    } else if (runStart >= 0) {
      const len = i - runStart;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
      runStart = -1;
    }
  }
  if (bestStart < 0) {
    let s = g[0].toString(16);
    for (let i = 1; i < 8; i++) s += ':' + g[i].toString(16);
    return s;
  }
  let s = '';
  for (let i = 0; i < bestStart; i++) s += (i === 0 ? '' : ':') + g[i].toString(16);
  s += '::';
  const after = bestStart + bestLen;
  for (let i = after; i < 8; i++) s += (i === after ? '' : ':') + g[i].toString(16);
  return s;
}

/** RFC 5952 text of an IPv6 address held in `w[0..3]`. */
export function formatV6(w: Uint32Array): string {
  return formatV6Words(w[0], w[1], w[2], w[3]);
}

/** Network mask for the first `bits` bits of a 32-bit word (`bits` clamped to 0..32), as a uint32. */
export function wordMask(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * Mask IPv6 words in place to their first `bits` bits (0..128).
 * Writes into `out` (which may be `w` itself).
 */
export function maskV6Into(w: Uint32Array, bits: number, out: Uint32Array): void {
  out[0] = (w[0] & wordMask(bits)) >>> 0;
  out[1] = (w[1] & wordMask(bits - 32)) >>> 0;
  out[2] = (w[2] & wordMask(bits - 64)) >>> 0;
  out[3] = (w[3] & wordMask(bits - 96)) >>> 0;
}
