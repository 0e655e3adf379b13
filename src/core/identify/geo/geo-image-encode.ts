/**
 * Writing a geo image (layout: ./geo-image.ts): each family's covering runs cut into blocks of at most
 * BLOCK_ROWS rows, each block with the organisation names its rows use, and the head with both
 * indexes. Used by the short-lived builder process; a serving process only reads.
 */
import { BLOCK_ROWS, checksumWords, GeoImageError, MAGIC, MAX_NAME_BYTES, pad4, VERSION, type GeoImageHeader, type GeoImageMeta } from './geo-image.ts';

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
