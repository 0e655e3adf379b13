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
 *
 * This file holds the layout shared by both sides and the head's parsing; ./geo-image-encode.ts writes
 * an image, ./geo-image-blocks.ts finds and decodes the rows of its blocks.
 */

/** Rows per block: a read of ~0.5–2 KB, an index of ~200 KB per million rows. */
export const BLOCK_ROWS = 32;
/** Longest organisation name kept, in UTF-8 bytes (the published data's longest is ~200). */
export const MAX_NAME_BYTES = 1024;

/** The file's first eight bytes. */
export const MAGIC = 'BWGEO001';
/** The layout version the header carries. */
export const VERSION = 1;

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

/** FNV-1a over the words `from` .. `to` − 1 of `words`. */
export function checksumWords(words: Uint32Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  return h >>> 0;
}

/** `n` rounded up to a multiple of 4 (the format's word alignment). */
export const pad4 = (n: number): number => (n + 3) & ~3;

/** Orders two addresses of `w` words (`x[xi..]`, `y[yi..]`): negative, 0 or positive. */
export function compareWords(x: Uint32Array, xi: number, y: Uint32Array, yi: number, w: number): number {
  for (let k = 0; k < w; k++) {
    const d = x[xi + k]! - y[yi + k]!;
    if (d !== 0) return d;
  }
  return 0;
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
    for (let b = 1; b < blocks; b++) if (compareWords(starts, (b - 1) * w, starts, b * w, w) >= 0) throw new GeoImageError('geo image index out of order');
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
