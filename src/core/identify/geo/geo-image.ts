/**
 * The geo image: ASN and country data for every address, laid out so a process answers a lookup with a
 * small index in memory and ONE positioned read of a block of the file — instead of holding the whole
 * table (≈ 20 MB for the default data) in its heap.
 *
 * The address space of each family is cut into covering runs (./geo-runs.ts), each with one ASN row
 * (number and organisation, or none) and one country (or none). Runs are grouped into blocks of at most
 * {@link BLOCK_ROWS} rows; each block carries the organisation names its rows use, so it is
 * self-contained. The index — each block's first address and file offset — is ~8 bytes per block for
 * IPv4 and ~20 for IPv6 (a few hundred KB for the default data).
 *
 * Layout (little-endian uint32 words unless said otherwise):
 *   magic `BWGEO001` (8 bytes), header length H, header JSON (H bytes, zero-padded to 4);
 *   IPv4 index: block starts (1 word each), then block offsets (blocks + 1 words, the last = file end
 *   of the IPv4 blocks); IPv6 index: block starts (4 words each), offsets (blocks + 1);
 *   the checksum of everything before it (1 word); then the blocks, IPv4 first.
 *   A block: checksum of the rest of the block, row count n, starts (n × 1 or 4 words), ASNs (n words),
 *   info (n words: country index + 1 in the low 16 bits, 0 = none; name offset + 1 in the high 16 bits,
 *   0 = no ASN data), then the names area: each name a uint16 byte length and its UTF-8 bytes, zero-padded
 *   to 4.
 *
 * The checksum (FNV-1a over words) detects damage — a flipped bit, a cut or shifted file — not
 * tampering: whoever can write the state directory can write the config too. Every block is checked in
 * full when the image is opened and its checksum again on every read, so a damaged file gives a coded
 * error and a rebuild, never a wrong answer.
 */

/** Rows per block: a read of ~0.5–2 KB, an index of ~200 KB per million rows. */
export const BLOCK_ROWS = 32;
/** Longest organisation name kept, in UTF-8 bytes (the published data's longest is ~200). */
export const MAX_NAME_BYTES = 1024;

const MAGIC = 'BWGEO001';
const VERSION = 1;

/** Thrown for an image that is not one, or is cut short or damaged. */
export class GeoImageError extends Error {
  readonly code = 'BULWARK_ERR_GEO_ASN_CORRUPT';
}

/** What the header says besides the layout: the figures of the sources it was built from. */
export interface GeoImageMeta {
  /** Country codes; a row's country index i + 1 means `countries[i]`. */
  readonly countries: readonly string[];
  /** Build figures of the ASN part (asn-table.ts `AsnTableStats`), null without ASN data. */
  readonly asn: unknown;
  /** Country database facts (type, build date, size), null without one. */
  readonly country: unknown;
}

/** The header as stored. */
export interface GeoImageHeader extends GeoImageMeta {
  readonly version: number;
  readonly blockRows: number;
  readonly maxBlockBytes: number;
  readonly v4: { readonly rows: number; readonly blocks: number };
  readonly v6: { readonly rows: number; readonly blocks: number };
}

/** One family's rows to store: covering runs with an ASN row (or −1) and a country (index into `countries` + 1, 0 = none). */
export interface GeoImageRows {
  readonly words: 1 | 4;
  readonly count: number;
  readonly starts: Uint32Array;
  readonly asnRow: Int32Array;
  readonly country: Int32Array;
}

/** ASN numbers and UTF-8 organisation names by ASN row (the rows `GeoImageRows.asnRow` points at). */
export interface GeoImageAsn {
  asnOf(row: number): number;
  orgBytesOf(row: number): Uint8Array;
}

/** FNV-1a over the words `from` .. `to` − 1 of `words`. */
export function checksumWords(words: Uint32Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  return h >>> 0;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** Rows of one family cut into blocks: each block's first row and its size in bytes (names may end a block early). */
function planBlocks(rows: GeoImageRows, asn: GeoImageAsn): { firsts: number[]; sizes: number[] } {
  const firsts: number[] = [];
  const sizes: number[] = [];
  const w = rows.words;
  let i = 0;
  while (i < rows.count) {
    firsts.push(i);
    let names = 0;
    const seen = new Set<number>();
    let n = 0;
    while (i < rows.count && n < BLOCK_ROWS) {
      const r = rows.asnRow[i]!;
      const add = r < 0 || seen.has(r) ? 0 : 2 + Math.min(asn.orgBytesOf(r).length, MAX_NAME_BYTES);
      if (n > 0 && names + add > 0xfffe) break;
      if (r >= 0) seen.add(r);
      names += add;
      n++;
      i++;
    }
    sizes.push((2 + n * w + 2 * n) * 4 + pad4(names));
  }
  return { firsts, sizes };
}

/** Encodes rows `from` .. `to` − 1 as one block (see the module comment). */
function encodeBlock(rows: GeoImageRows, from: number, to: number, asn: GeoImageAsn): Uint32Array {
  const w = rows.words;
  const n = to - from;
  const nameAt = new Map<number, number>();
  const parts: Uint8Array[] = [];
  let nameBytes = 0;
  for (let i = from; i < to; i++) {
    const r = rows.asnRow[i]!;
    if (r < 0 || nameAt.has(r)) continue;
    const full = asn.orgBytesOf(r);
    const bytes = full.length > MAX_NAME_BYTES ? full.subarray(0, MAX_NAME_BYTES) : full;
    nameAt.set(r, nameBytes);
    parts.push(Uint8Array.of(bytes.length & 0xff, bytes.length >>> 8), bytes);
    nameBytes += 2 + bytes.length;
  }
  const head = 2 + n * w + 2 * n;
  const out = new Uint32Array(head + pad4(nameBytes) / 4);
  out[1] = n;
  for (let i = 0; i < n; i++) {
    const row = from + i;
    for (let k = 0; k < w; k++) out[2 + i * w + k] = rows.starts[row * w + k]!;
    const r = rows.asnRow[row]!;
    out[2 + n * w + i] = r < 0 ? 0 : asn.asnOf(r);
    const country = rows.country[row]!;
    out[2 + n * w + n + i] = (country & 0xffff) | ((r < 0 ? 0 : nameAt.get(r)! + 1) << 16);
  }
  const bytes = new Uint8Array(out.buffer, head * 4);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  out[0] = checksumWords(out, 1, out.length);
  return out;
}

/** An encoded image in parts: the head (magic, header, index, checksum), then the blocks in file order. */
export interface GeoImageParts {
  readonly head: Uint8Array;
  /** The blocks in file order, each encoded when the iteration reaches it (so they are never all held at once). */
  blocks(): Iterable<Uint32Array>;
  /** Bytes of the whole file. */
  readonly byteLength: number;
}

/**
 * Encodes both families (see the module comment) as parts, so a writer can stream the blocks to a file
 * without holding the whole image. Rows must be covering runs, strictly increasing from 0.
 */
export function encodeGeoImageParts(v4: GeoImageRows, v6: GeoImageRows, asn: GeoImageAsn, meta: GeoImageMeta): GeoImageParts {
  if (meta.countries.length > 0xfffe) throw new GeoImageError('too many country codes');
  const fams = [v4, v6].map((rows) => ({ rows, ...planBlocks(rows, asn) }));
  let maxBlockBytes = 0;
  for (const f of fams) for (const size of f.sizes) maxBlockBytes = Math.max(maxBlockBytes, size);
  const header: GeoImageHeader = {
    version: VERSION,
    blockRows: BLOCK_ROWS,
    maxBlockBytes,
    v4: { rows: v4.count, blocks: fams[0]!.firsts.length },
    v6: { rows: v6.count, blocks: fams[1]!.firsts.length },
    ...meta,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = pad4(12 + json.length);
  const indexWords = fams.reduce((s, f) => s + f.firsts.length * (f.rows.words + 1) + 1, 0);
  const blocksStart = headerEnd + indexWords * 4 + 4;
  const total = blocksStart + fams.reduce((s, f) => s + f.sizes.reduce((t, b) => t + b, 0), 0);
  if (total > 0xffffffff) throw new GeoImageError('geo image larger than 4 GB');
  const head = new Uint8Array(blocksStart);
  const words = new Uint32Array(head.buffer);
  for (let i = 0; i < MAGIC.length; i++) head[i] = MAGIC.charCodeAt(i);
  words[2] = json.length;
  head.set(json, 12);
  let w = headerEnd / 4;
  let offset = blocksStart;
  for (const f of fams) {
    const ww = f.rows.words;
    for (const first of f.firsts) for (let k = 0; k < ww; k++) words[w++] = f.rows.starts[first * ww + k]!;
    for (const size of f.sizes) {
      words[w++] = offset;
      offset += size;
    }
    words[w++] = offset;
  }
  words[w] = checksumWords(words, 0, w);
  return {
    head,
    byteLength: total,
    *blocks() {
      for (const f of fams) {
        for (let b = 0; b < f.firsts.length; b++) {
          const block = encodeBlock(f.rows, f.firsts[b]!, f.firsts[b + 1] ?? f.rows.count, asn);
          if (block.byteLength !== f.sizes[b]) throw new GeoImageError('geo image block size differs from its plan');
          yield block;
        }
      }
    },
  };
}

/** Encodes both families into one buffer (see {@link encodeGeoImageParts}). */
export function encodeGeoImage(v4: GeoImageRows, v6: GeoImageRows, asn: GeoImageAsn, meta: GeoImageMeta): Uint8Array {
  const parts = encodeGeoImageParts(v4, v6, asn, meta);
  const out = new Uint8Array(parts.byteLength);
  out.set(parts.head, 0);
  let offset = parts.head.length;
  for (const b of parts.blocks()) {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), offset);
    offset += b.byteLength;
  }
  return out;
}

/** One family's index: block starts (1 or 4 words each) and file offsets (one more than blocks). */
export interface GeoFamilyIndex {
  readonly words: 1 | 4;
  readonly blocks: number;
  readonly starts: Uint32Array;
  readonly offsets: Uint32Array;
}

/** The parsed head of an image: its header and both indexes. */
export interface GeoImageHead {
  readonly header: GeoImageHeader;
  readonly v4: GeoFamilyIndex;
  readonly v6: GeoFamilyIndex;
  /** Bytes of the head (magic to index checksum): where the blocks start. */
  readonly headBytes: number;
  /** The file's length the index implies. */
  readonly byteLength: number;
}

/** The header JSON's length from the first 12 bytes, and how many bytes the whole head takes; throws when not an image. */
export function geoImageHeaderLength(first: Uint8Array): number {
  if (first.length < 12) throw new GeoImageError('geo image truncated');
  for (let i = 0; i < MAGIC.length; i++) if (first[i] !== MAGIC.charCodeAt(i)) throw new GeoImageError('not a geo image');
  return new DataView(first.buffer, first.byteOffset, 12).getUint32(8, true);
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0x3fffffff;

/** Bytes from the start of the file to the end of the head, given the header. */
export function geoImageHeadBytes(header: GeoImageHeader, headerLength: number): number {
  return pad4(12 + headerLength) + (header.v4.blocks * 2 + 1 + header.v6.blocks * 5 + 1) * 4 + 4;
}

/** Parses and checks the header JSON (bytes 12 .. 12 + length of the file). */
export function parseGeoImageHeader(first: Uint8Array): GeoImageHeader {
  const length = geoImageHeaderLength(first);
  if (first.length < 12 + length) throw new GeoImageError('geo image truncated');
  let header: GeoImageHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(first.subarray(12, 12 + length))) as GeoImageHeader;
  } catch {
    throw new GeoImageError('geo image header is not readable');
  }
  const ok =
    typeof header === 'object' && header !== null && header.version === VERSION &&
    isCount(header.blockRows) && header.blockRows > 0 && isCount(header.maxBlockBytes) && header.maxBlockBytes >= 8 &&
    [header.v4, header.v6].every((f) => typeof f === 'object' && f !== null && isCount(f.rows) && isCount(f.blocks) && f.blocks >= 1 && f.rows >= f.blocks) &&
    Array.isArray(header.countries) && header.countries.length <= 0xfffe && header.countries.every((c) => typeof c === 'string');
  if (!ok) throw new GeoImageError('geo image header is not valid');
  return header;
}

/**
 * The head of an image from its first bytes (at least {@link geoImageHeadBytes}), checked: magic,
 * header, index checksum, block starts increasing from address 0, offsets increasing and within
 * `fileBytes`, no block larger than the header's maximum. Throws {@link GeoImageError}.
 */
export function parseGeoImageHead(first: Uint8Array, fileBytes: number): GeoImageHead {
  const header = parseGeoImageHeader(first);
  const headBytes = geoImageHeadBytes(header, geoImageHeaderLength(first));
  if (first.length < headBytes || fileBytes < headBytes) throw new GeoImageError('geo image truncated');
  const words = new Uint32Array(headBytes / 4);
  new Uint8Array(words.buffer).set(first.subarray(0, headBytes));
  const last = words.length - 1;
  if (checksumWords(words, 0, last) !== words[last]) throw new GeoImageError('geo image index is damaged');
  let at = pad4(12 + geoImageHeaderLength(first)) / 4;
  let end = headBytes;
  const family = (w: 1 | 4, blocks: number): GeoFamilyIndex => {
    const starts = words.slice(at, at + blocks * w);
    at += blocks * w;
    const offsets = words.slice(at, at + blocks + 1);
    at += blocks + 1;
    if (!starts.subarray(0, w).every((v) => v === 0)) throw new GeoImageError('geo image index does not start at address 0');
    for (let b = 1; b < blocks; b++) if (compare(starts, (b - 1) * w, starts, b * w, w) >= 0) throw new GeoImageError('geo image index out of order');
    if (offsets[0] !== end) throw new GeoImageError('geo image index out of place');
    for (let b = 0; b < blocks; b++) {
      const size = offsets[b + 1]! - offsets[b]!;
      if (size < 12 || size % 4 !== 0 || size > header.maxBlockBytes) throw new GeoImageError('geo image block sizes are not valid');
    }
    end = offsets[blocks]!;
    return { words: w, blocks, starts, offsets };
  };
  const v4 = family(1, header.v4.blocks);
  const v6 = family(4, header.v6.blocks);
  if (end !== fileBytes) throw new GeoImageError(end > fileBytes ? 'geo image truncated' : 'geo image has trailing bytes');
  return { header, v4, v6, headBytes, byteLength: end };
}

function compare(x: Uint32Array, xi: number, y: Uint32Array, yi: number, w: number): number {
  for (let k = 0; k < w; k++) {
    const d = x[xi + k]! - y[yi + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** The block of `index` holding address `a` (1 or 4 words at `a[ai..]`): the last block starting at or below it. */
export function blockOf(index: GeoFamilyIndex, a: Uint32Array, ai: number): number {
  const w = index.words;
  const starts = index.starts;
  let lo = 0;
  let hi = index.blocks - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (compare(starts, mid * w, a, ai, w) <= 0) lo = mid;
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
  if (compare(words, base + 2, index.starts, b * w, w) !== 0) return 'first address differs from the index';
  if (!full) return null;
  const nameBase = at + (2 + n * (w + 2)) * 4;
  const end = at + size;
  for (let i = 0; i < n; i++) {
    if (i > 0 && compare(words, base + 2 + (i - 1) * w, words, base + 2 + i * w, w) >= 0) return 'rows out of order';
    const info = words[base + 2 + n * w + n + i]!;
    if ((info & 0xffff) > header.countries.length) return 'unknown country index';
    const ref = info >>> 16;
    if (ref !== 0) {
      const name = nameBase + ref - 1;
      if (name + 2 > end || name + 2 + (bytes[name]! | (bytes[name + 1]! << 8)) > end) return 'name outside the block';
    }
  }
  const next = b + 1 < index.blocks ? b + 1 : -1;
  if (next >= 0 && compare(words, base + 2 + (n - 1) * w, index.starts, next * w, w) >= 0) return 'rows overlap the next block';
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
    if (compare(words, 2 + mid * w, a, ai, w) <= 0) lo = mid;
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
