/**
 * The ASN table in one compact binary image: what `parseAsnTableData` builds from the CSV files, laid
 * out so a process loads it with one file read and no parsing — the typed arrays are views into the
 * image, the organisation names one UTF-8 block split once.
 *
 * Organisation names stay in the image as UTF-8 and are decoded when a lookup asks for one (once per new
 * client peer: identify keeps the result on the connection), not held as ~70,000 strings in the heap.
 *
 * Why: parsing the CSVs (~33 MB of text) takes half a second and, done in a thread of the serving
 * process, leaves tens of megabytes of freed parse buffers in that thread's allocator arena for the
 * process's whole life. The image is built once (in a short-lived child process, runtime/geo-data.ts)
 * and is the table itself: ~11 MB for the default files, all of it used.
 *
 * Layout (little-endian, every array 4-byte aligned): the magic `BWASN001`; a uint32 byte length of a
 * JSON header (row counts, the build stats); the header padded to 4 bytes; then the uint32 arrays
 * v4.starts, v4.ends, v4.asns, v4.orgIds, v6.starts, v6.ends, v6.asns, v6.orgIds, idx4, idx6, each of
 * the length the header implies; then the names, UTF-8, separated by `\n` (a CSV field never holds one).
 */
import type { AsnRows } from './asn-csv.ts';
import type { AsnTableData, AsnTableStats, OrgNames } from './asn-table.ts';

const MAGIC = 'BWASN001';
const INDEX_WORDS = 65537;

interface Header {
  readonly v4Rows: number;
  readonly v6Rows: number;
  readonly nameBytes: number;
  readonly stats: AsnTableStats;
}

/** Bytes of the uint32 arrays for the given row counts, in layout order. */
function arrayLengths(v4Rows: number, v6Rows: number): number[] {
  return [v4Rows, v4Rows, v4Rows, v4Rows, v6Rows * 4, v6Rows * 4, v6Rows, v6Rows, INDEX_WORDS, INDEX_WORDS];
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** The names block of an image, read in place: an offset per name (4 bytes each), text decoded on use. */
function imageNames(block: Uint8Array, count: number): OrgNames {
  const starts = new Uint32Array(count + 1);
  let n = 0;
  if (count > 0) {
    starts[n++] = 0;
    for (let i = 0; i < block.length && n < count; i++) if (block[i] === 0x0a) starts[n++] = i + 1;
  }
  if (n !== count) throw new Error('ASN table image names truncated');
  starts[count] = block.length + 1;
  const decoder = new TextDecoder();
  return {
    length: count,
    at: (id) => (id >= 0 && id < count ? decoder.decode(block.subarray(starts[id]!, starts[id + 1]! - 1)) : undefined),
  };
}

/** The image of a built table (see the module comment). */
export function encodeAsnTableData(d: AsnTableData): Uint8Array {
  const list: string[] = [];
  for (let i = 0; i < d.names.length; i++) list.push(d.names.at(i) ?? '');
  const names = new TextEncoder().encode(list.join('\n'));
  const header = new TextEncoder().encode(JSON.stringify({ v4Rows: d.v4.count, v6Rows: d.v6.count, nameBytes: names.length, stats: d.stats } satisfies Header));
  const arrays = [d.v4.starts, d.v4.ends, d.v4.asns, d.v4.orgIds, d.v6.starts, d.v6.ends, d.v6.asns, d.v6.orgIds, d.idx4, d.idx6];
  const lengths = arrayLengths(d.v4.count, d.v6.count);
  const headerEnd = pad4(MAGIC.length + 4 + header.length);
  const total = headerEnd + lengths.reduce((s, n) => s + n * 4, 0) + names.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  let at = headerEnd;
  arrays.forEach((a, i) => {
    const n = lengths[i]!;
    if (a.length < n) throw new Error('ASN table arrays shorter than their row counts');
    for (let k = 0; k < n; k++) view.setUint32(at + k * 4, a[k]!, true);
    at += n * 4;
  });
  out.set(names, at);
  return out;
}

/**
 * The table data of an image, its arrays views into `image` (no copy: keep the image alive as long as
 * the table; its byte offset must be a multiple of 4). Throws on a wrong magic or a truncated image.
 * Little-endian hosts only (every platform Node.js ships for today).
 */
export function decodeAsnTableData(image: Uint8Array): AsnTableData {
  if (image.byteOffset % 4 !== 0) throw new Error('ASN image not 4-byte aligned');
  for (let i = 0; i < MAGIC.length; i++) if (image[i] !== MAGIC.charCodeAt(i)) throw new Error('not an ASN table image');
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  const header = JSON.parse(new TextDecoder().decode(image.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength))) as Header;
  const lengths = arrayLengths(header.v4Rows, header.v6Rows);
  let at = pad4(MAGIC.length + 4 + headerLength);
  if (at + lengths.reduce((s, n) => s + n * 4, 0) + header.nameBytes !== image.byteLength) throw new Error('ASN table image truncated');
  const arrays = lengths.map((n) => {
    const a = new Uint32Array(image.buffer, image.byteOffset + at, n);
    at += n * 4;
    return a;
  });
  const names = imageNames(image.subarray(at, at + header.nameBytes), header.stats.orgs);
  const rows = (words: 1 | 4, count: number, base: number): AsnRows => ({ words, count, starts: arrays[base]!, ends: arrays[base + 1]!, asns: arrays[base + 2]!, orgIds: arrays[base + 3]! });
  return { v4: rows(1, header.v4Rows, 0), v6: rows(4, header.v6Rows, 4), idx4: arrays[8]!, idx6: arrays[9]!, names, stats: header.stats };
}
