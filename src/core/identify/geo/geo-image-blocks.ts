/**
 * Reading a geo image's blocks (layout: ./geo-image.ts): which block of an index holds an address, whether
 * a block read from the file can be used, and the row of a checked block that holds an address.
 * Allocation-free where a lookup calls it.
 */
import { checksumWords, compareWords, type GeoFamilyIndex, type GeoImageHeader } from './geo-image.ts';

/** The block of `index` holding address `a` (1 or 4 words at `a[ai..]`): the last block starting at or below it. */
export function blockOf(index: GeoFamilyIndex, a: Uint32Array, ai: number): number {
  const w = index.words;
  const starts = index.starts;
  let lo = 0;
  let hi = index.blocks - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (compareWords(starts, mid * w, a, ai, w) <= 0) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The IPv4 block holding `v4` (allocation-free). */
export function blockOfV4(index: GeoFamilyIndex, v4: number): number {
  const starts = index.starts;
  let lo = 0;
  let hi = index.blocks - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= v4) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A buffer holding blocks, as words and as bytes (two views of the same memory, 4-byte aligned). */
export interface BlockBuffer {
  readonly words: Uint32Array;
  readonly bytes: Uint8Array;
}

/** Views of a fresh buffer of `bytes` bytes (rounded up to whole words). */
export function blockBuffer(bytes: number): BlockBuffer {
  const words = new Uint32Array(Math.ceil(bytes / 4));
  return { words, bytes: new Uint8Array(words.buffer) };
}

/**
 * Why block `b` of `index`, held in `buf` from byte `at` (a multiple of 4) for `size` bytes, cannot be
 * used — or null when its checksum, row count, size and first address agree. `full` also checks every
 * row: starts increasing, country indexes known, names inside the block (done once for every block when
 * the image is opened). Allocation-free.
 */
export function blockProblem(index: GeoFamilyIndex, b: number, buf: BlockBuffer, at: number, size: number, header: GeoImageHeader, full: boolean): string | null {
  const { words, bytes } = buf;
  const w = index.words;
  const base = at >>> 2;
  const nWords = size >>> 2;
  const n = words[base + 1]!;
  if (checksumWords(words, base + 1, base + nWords) !== words[base]) return 'checksum mismatch';
  if (n < 1 || n > header.blockRows || 2 + n * (w + 2) > nWords) return 'row count out of range';
  if (compareWords(words, base + 2, index.starts, b * w, w) !== 0) return 'first address differs from the index';
  if (!full) return null;
  const nameBase = at + (2 + n * (w + 2)) * 4;
  const end = at + size;
  for (let i = 0; i < n; i++) {
    if (i > 0 && compareWords(words, base + 2 + (i - 1) * w, words, base + 2 + i * w, w) >= 0) return 'rows out of order';
    const info = words[base + 2 + n * w + n + i]!;
    if ((info & 0xffff) > header.countries.length) return 'unknown country index';
    const ref = info >>> 16;
    if (ref !== 0) {
      const name = nameBase + ref - 1;
      if (name + 2 > end || name + 2 + (bytes[name]! | (bytes[name + 1]! << 8)) > end) return 'name outside the block';
    }
  }
  const next = b + 1 < index.blocks ? b + 1 : -1;
  if (next >= 0 && compareWords(words, base + 2 + (n - 1) * w, index.starts, next * w, w) >= 0) return 'rows overlap the next block';
  return null;
}

/** A row of a block: its ASN (null when none), the organisation name's bytes, the country index (0 = none). */
export interface GeoBlockRow {
  readonly asn: number | null;
  /** Byte range of the organisation's UTF-8 name within the block (start, end); equal when none. */
  readonly nameStart: number;
  readonly nameEnd: number;
  readonly country: number;
}

/** The row of a checked block holding address `a[ai..]` (1 or 4 words): the last row starting at or below it. */
export function rowInBlock(words: Uint32Array, w: 1 | 4, a: Uint32Array, ai: number): number {
  const n = words[1]!;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (compareWords(words, 2 + mid * w, a, ai, w) <= 0) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Decodes row `i` of a checked block (`bytes` is the same block as bytes). */
export function blockRow(words: Uint32Array, bytes: Uint8Array, w: 1 | 4, i: number): GeoBlockRow {
  const n = words[1]!;
  const info = words[2 + n * w + n + i]!;
  const ref = info >>> 16;
  if (ref === 0) return { asn: null, nameStart: 0, nameEnd: 0, country: info & 0xffff };
  const at = (2 + n * (w + 2)) * 4 + ref - 1;
  const len = bytes[at]! | (bytes[at + 1]! << 8);
  return { asn: words[2 + n * w + i]!, nameStart: at + 2, nameEnd: at + 2 + len, country: info & 0xffff };
}
