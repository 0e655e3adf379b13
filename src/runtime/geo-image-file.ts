/**
 * Reading the geo image (core/identify/geo/geo-image.ts) from its file: the head (header and block
 * index, a few hundred KB) is held in memory, and a lookup reads the one block that holds the address
 * with a positioned read (`pread`, ~1–2 µs from the page cache) into a buffer reused for every read.
 * The caller keeps a bounded cache of answers (runtime/geo-data.ts), so a returning client costs no read.
 *
 * Opening checks the whole file once, block by block (checksum, row order, country and name references)
 * in chunks of 1 MB that are not kept; every later read checks its block's checksum again, so a file
 * damaged or cut after start gives no answer (and a report) instead of a wrong one.
 */
import { close, closeSync, fstat, open, read, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { GeoImageError, geoImageHeadBytes, geoImageHeaderLength, parseGeoImageHead, parseGeoImageHeader } from '../core/identify/geo/geo-image.ts';
import { blockOf, blockOfV4, blockBuffer, blockProblem, blockRow, rowInBlock } from '../core/identify/geo/geo-image-blocks.ts';
import type { GeoFamilyIndex, GeoImageHead } from '../core/identify/geo/geo-image.ts';

/** What the image says about a public address (null fields: no data). */
export interface GeoRecord {
  readonly asn: number | null;
  readonly asnOrg: string | null;
  readonly country: string | null;
  readonly label: 'public';
}

/** An open image. */
export interface GeoImageReader {
  readonly head: GeoImageHead;
  /** Bytes held in memory for the index (block starts and offsets) and the read buffer. */
  readonly memoryBytes: number;
  /** The record for a uint32 IPv4 address, or null when its block is damaged (see `damage`). One read. */
  recordV4(v4: number): GeoRecord | null;
  /** The record for an IPv6 address (four big-endian words), or null when its block is damaged. One read. */
  recordV6(words: Uint32Array): GeoRecord | null;
  /** Reads that found a damaged block, and the last problem seen. */
  damage(): { readonly reads: number; readonly last: string | null };
  close(): void;
}

const CHUNK = 1 << 20;
const MAX_HEADER = 1 << 20;

const openAsync = promisify(open);
const fstatAsync = promisify(fstat);
const closeAsync = promisify(close);
const readAsync = (fd: number, into: Uint8Array, offset: number, length: number, position: number): Promise<number> =>
  new Promise((resolve, reject) => read(fd, into, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));

async function readAt(fd: number, into: Uint8Array, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const bytesRead = await readAsync(fd, into, done, length - done, position + done);
    if (bytesRead === 0) throw new GeoImageError('geo image truncated');
    done += bytesRead;
  }
}

/** Reads and checks the head (magic, header, index). */
async function readHead(fd: number, size: number): Promise<GeoImageHead> {
  const first = new Uint8Array(12);
  if (size < 12) throw new GeoImageError('geo image truncated');
  await readAt(fd, first, 12, 0);
  const headerLength = geoImageHeaderLength(first);
  if (headerLength > MAX_HEADER || 12 + headerLength > size) throw new GeoImageError('geo image truncated');
  const withHeader = new Uint8Array(12 + headerLength);
  await readAt(fd, withHeader, withHeader.length, 0);
  const headBytes = geoImageHeadBytes(parseGeoImageHeader(withHeader), headerLength);
  if (headBytes > size) throw new GeoImageError('geo image truncated');
  const head = new Uint8Array(headBytes);
  await readAt(fd, head, headBytes, 0);
  return parseGeoImageHead(head, size);
}

/** Checks every block of one family in full, reading the file in 1 MB chunks. */
async function checkFamily(fd: number, head: GeoImageHead, index: GeoFamilyIndex): Promise<void> {
  const chunk = blockBuffer(Math.max(CHUNK, head.header.maxBlockBytes));
  const bytes = chunk.bytes;
  let b = 0;
  while (b < index.blocks) {
    const from = index.offsets[b]!;
    let to = b;
    while (to < index.blocks && index.offsets[to + 1]! - from <= bytes.length) to++;
    await readAt(fd, bytes, index.offsets[to]! - from, from);
    for (; b < to; b++) {
      const at = index.offsets[b]! - from;
      const size = index.offsets[b + 1]! - index.offsets[b]!;
      const problem = blockProblem(index, b, chunk, at, size, head.header, true);
      if (problem !== null) throw new GeoImageError(`geo image block ${b} of IPv${index.words === 1 ? 4 : 6}: ${problem}`);
    }
  }
}

/**
 * Opens and checks an image; throws {@link GeoImageError} (code BULWARK_ERR_GEO_ASN_CORRUPT) when it is
 * not one, is cut short or has a damaged block, and passes on the file system's errors. The file may be
 * unlinked once this resolves: the open descriptor keeps it readable.
 */
export async function openGeoImage(file: string): Promise<GeoImageReader> {
  // A plain descriptor, not a FileHandle: lookups read synchronously (they are on the request path).
  const fd = await openAsync(file, 'r');
  try {
    const size = (await fstatAsync(fd)).size;
    const head = await readHead(fd, size);
    await checkFamily(fd, head, head.v4);
    await checkFamily(fd, head, head.v6);
    return createReader(fd, head);
  } catch (err) {
    await closeAsync(fd);
    throw err;
  }
}

function createReader(fd: number, head: GeoImageHead): GeoImageReader {
  const { header } = head;
  const block = blockBuffer(header.maxBlockBytes);
  const words = block.words;
  const bytes = Buffer.from(words.buffer);
  const key = new Uint32Array(4);
  let damagedReads = 0;
  let lastProblem: string | null = null;
  let closed = false;

  /** Reads block `b` of `index` into `words`; false (and the problem noted) when it cannot be used. */
  function load(index: GeoFamilyIndex, b: number): boolean {
    const size = index.offsets[b + 1]! - index.offsets[b]!;
    let problem: string | null;
    try {
      const got = closed ? 0 : readSync(fd, bytes, 0, size, index.offsets[b]!);
      problem = got !== size ? 'geo image truncated' : blockProblem(index, b, block, 0, size, header, false);
    } catch (err) {
      problem = `geo image unreadable: ${(err as Error).message}`;
    }
    if (problem === null) return true;
    damagedReads++;
    lastProblem = `IPv${index.words === 1 ? 4 : 6} block ${b}: ${problem}`;
    return false;
  }

  function record(w: 1 | 4, row: number): GeoRecord {
    const r = blockRow(words, bytes, w, row);
    return {
      asn: r.asn,
      asnOrg: r.asn === null ? null : bytes.toString('utf8', r.nameStart, r.nameEnd),
      country: r.country === 0 ? null : header.countries[r.country - 1]!,
      label: 'public',
    };
  }

  const indexBytes = [head.v4, head.v6].reduce((s, i) => s + i.starts.byteLength + i.offsets.byteLength, 0);
  return {
    head,
    memoryBytes: indexBytes + words.byteLength,
    recordV4(v4: number): GeoRecord | null {
      if (!load(head.v4, blockOfV4(head.v4, v4))) return null;
      key[0] = v4;
      return record(1, rowInBlock(words, 1, key, 0));
    },
    recordV6(a: Uint32Array): GeoRecord | null {
      if (!load(head.v6, blockOf(head.v6, a, 0))) return null;
      return record(4, rowInBlock(words, 4, a, 0));
    },
    damage: () => ({ reads: damagedReads, last: lastProblem }),
    close(): void {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
