import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { asnTableFromData, parseAsnTableData } from './asn-table.ts';
import type { AsnTableData } from './asn-table.ts';
import { GeoImageError, parseGeoImageHead } from './geo-image.ts';
import type { GeoImageHead } from './geo-image.ts';
import { blockOf, blockOfV4, blockProblem, blockRow, rowInBlock } from './geo-image-blocks.ts';
import { encodeGeoImage, type GeoImageRows } from './geo-image-encode.ts';
import { asnRowRuns, mergeRuns, wholeSpace } from './geo-runs.ts';
import type { Runs } from './geo-runs.ts';
import { parseIpInto } from '../../net/ip-parse.ts';
import { formatV4 } from '../../net/ip-format.ts';

const V4 = `1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."
1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd
1.0.8.0,1.0.8.255,38803,Gtelecom Pty Ltd
2.26.200.0,2.26.215.255,201907,"LLC ""SPUTNIK"""
8.8.8.0,8.8.8.255,15169,Google LLC
100.64.0.0,100.64.0.255,64512,Zürich Ämter AG
255.255.255.0,255.255.255.255,64513,Top Of The Space
`;
const V6 = `2001::,2001::ffff:ffff:ffff:ffff:ffff:ffff,6939,Hurricane Electric LLC
2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC
`;

/** Country runs for the test: 0.0.0.0 → none, 1.0.0.0 → AU (1), 1.0.6.0 → JP (2), 9.0.0.0 → none, 100.0.0.0 → US (3). */
const COUNTRIES = ['AU', 'JP', 'US'];
const countryV4: Runs = { words: 1, count: 5, starts: Uint32Array.of(0, 0x01000000, 0x01000600, 0x09000000, 0x64000000), values: Int32Array.of(0, 1, 2, 0, 3) };

/** The image rows of a family, as geo-image-build.ts makes them. */
function rowsOf(data: AsnTableData, fam: 4 | 6, country: Runs | null): GeoImageRows {
  const rows = fam === 4 ? data.v4 : data.v6;
  const words = fam === 4 ? 1 : 4;
  const same = (a: number, b: number): boolean => a === b || (a >= 0 && b >= 0 && rows.asns[a] === rows.asns[b] && rows.orgIds[a] === rows.orgIds[b]);
  const m = mergeRuns(rows.count > 0 ? asnRowRuns(rows) : wholeSpace(words, -1), country ?? wholeSpace(words, 0), same);
  const base = fam === 4 ? 0 : data.v4.count;
  return { words, count: m.count, starts: m.starts, asnRow: m.a.map((r) => (r < 0 ? -1 : r + base)), country: m.b };
}

/** An image of the test data, and a lookup that reads it the way runtime/geo-image-file.ts does. */
function imageOf(data: AsnTableData, country: Runs | null): { image: Uint8Array; head: GeoImageHead; look: (address: string) => string } {
  const n4 = data.v4.count;
  const enc = new TextEncoder();
  const image = encodeGeoImage(rowsOf(data, 4, country), rowsOf(data, 6, null), {
    asnOf: (r) => (r < n4 ? data.v4.asns[r]! : data.v6.asns[r - n4]!),
    orgBytesOf: (r) => enc.encode(data.names.at(r < n4 ? data.v4.orgIds[r]! : data.v6.orgIds[r - n4]!) ?? ''),
  }, { countries: country === null ? [] : COUNTRIES, asn: data.stats, country: null });
  const head = parseGeoImageHead(image, image.length);
  const a = new Uint32Array(4);
  const look = (address: string): string => {
    const fam = parseIpInto(address, a);
    const index = fam === 4 ? head.v4 : head.v6;
    const b = fam === 4 ? blockOfV4(index, a[0]!) : blockOf(index, a, 0);
    const from = index.offsets[b]!;
    const size = index.offsets[b + 1]! - from;
    const words = new Uint32Array(image.slice(from, from + size).buffer);
    const bytes = new Uint8Array(words.buffer);
    assert.equal(blockProblem(index, b, { words, bytes }, 0, size, head.header, true), null);
    const r = blockRow(words, bytes, index.words, rowInBlock(words, index.words, a, 0));
    const org = new TextDecoder().decode(bytes.subarray(r.nameStart, r.nameEnd));
    return `${r.asn} ${r.asn === null ? null : org} ${r.country === 0 ? null : COUNTRIES[r.country - 1]}`;
  };
  return { image, head, look };
}

test('an image answers like the ASN table it was made from, with the country of each run', () => {
  const data = parseAsnTableData({ v4: V4, v6: V6 });
  const table = asnTableFromData(data);
  const { look } = imageOf(data, countryV4);
  const cases: Array<[string, string]> = [
    ['0.0.0.1', 'null null null'],
    ['1.0.0.0', '13335 Cloudflare, Inc. AU'],
    ['1.0.0.255', '13335 Cloudflare, Inc. AU'],
    ['1.0.1.0', 'null null AU'],
    ['1.0.5.9', '38803 Gtelecom Pty Ltd AU'],
    ['1.0.6.1', '38803 Gtelecom Pty Ltd JP'],
    ['1.0.8.200', '38803 Gtelecom Pty Ltd JP'],
    ['8.8.8.8', '15169 Google LLC JP'],
    ['9.0.0.1', 'null null null'],
    ['100.64.0.9', '64512 Zürich Ämter AG US'],
    ['255.255.255.255', '64513 Top Of The Space US'],
    ['2001::1', '6939 Hurricane Electric LLC null'],
    ['2a00:1450::5', '15169 Google LLC null'],
    ['2a01::1', 'null null null'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'null null null'],
  ];
  for (const [a, want] of cases) {
    assert.equal(look(a), want, a);
    const t = table.lookup(a);
    assert.equal(look(a).split(' ').slice(0, 1).join(), String(t?.asn ?? null), `${a} agrees with the table`);
  }
});

test('property: image lookups equal the parsed table for random IPv4 addresses, blocks of many rows', () => {
  // Enough rows for several blocks: 300 ranges of varied sizes with a few repeated organisations.
  const lines = Array.from({ length: 300 }, (_, i) => `${formatV4(i * 0x00400000)},${formatV4(i * 0x00400000 + (i % 7) * 0x1000 + 0xff)},${64500 + (i % 5)},Org ${i % 5}`);
  const data = parseAsnTableData({ v4: lines.join('\n') });
  const table = asnTableFromData(data);
  const { head, look } = imageOf(data, null);
  assert.ok(head.v4.blocks > 5, `${head.v4.blocks} blocks`);
  // A block in the wrong place — sound in itself, but not the one the index points at — is refused.
  const { image } = imageOf(data, null);
  const whole = { words: new Uint32Array(image.buffer), bytes: image };
  const [at1, at2] = [head.v4.offsets[1]!, head.v4.offsets[2]!];
  assert.equal(blockProblem(head.v4, 1, whole, at1, at2 - at1, head.header, true), null);
  assert.equal(blockProblem(head.v4, 2, whole, at1, at2 - at1, head.header, false), 'first address differs from the index');
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      const t = table.lookup(formatV4(n));
      assert.equal(look(formatV4(n)), `${t?.asn ?? null} ${t?.org ?? null} null`);
    }),
    { numRuns: 2000 },
  );
});

test('an empty image (no data at all) answers nothing', () => {
  const { look, head } = imageOf(parseAsnTableData({}), null);
  assert.equal(look('8.8.8.8'), 'null null null');
  assert.equal(look('2001::1'), 'null null null');
  assert.deepEqual([head.v4.blocks, head.v6.blocks], [1, 1]);
});

test('a cut, damaged or foreign image is refused with BULWARK_ERR_GEO_ASN_CORRUPT', () => {
  const { image, head } = imageOf(parseAsnTableData({ v4: V4, v6: V6 }), countryV4);
  const refused = (bytes: Uint8Array, size: number, why: RegExp): void => {
    assert.throws(() => parseGeoImageHead(bytes, size), (err: Error & { code?: string }) => {
      assert.ok(err instanceof GeoImageError);
      assert.equal(err.code, 'BULWARK_ERR_GEO_ASN_CORRUPT');
      assert.match(err.message, why);
      return true;
    });
  };
  refused(image.subarray(0, 8), 8, /truncated/);
  refused(image.subarray(0, head.headBytes - 1), head.headBytes - 1, /truncated/);
  refused(image, image.length - 4, /truncated/);
  refused(image, image.length + 4, /trailing/);
  const foreign = image.slice();
  foreign[0] = 0x58;
  refused(foreign, foreign.length, /not a geo image/);
  const index = image.slice();
  index[head.headBytes - 8] ^= 1; // a bit of the index
  refused(index, index.length, /index is damaged/);
  // A damaged block: the head is sound, the block's checksum is not.
  const block = image.slice();
  const at = head.v4.offsets[0]! + 12;
  block[at] ^= 0x10;
  const size = head.v4.offsets[1]! - head.v4.offsets[0]!;
  assert.equal(blockProblem(head.v4, 0, { words: new Uint32Array(block.buffer), bytes: block }, head.v4.offsets[0]!, size, head.header, false), 'checksum mismatch');
});

test('covering runs: gaps, the top of the space, and merging keeps the first run at 0', () => {
  const data = parseAsnTableData({ v4: '0.0.0.0,0.0.0.9,1,A\n0.0.0.20,255.255.255.255,2,B\n' });
  const runs = asnRowRuns(data.v4);
  assert.deepEqual([...runs.starts], [0, 10, 20]);
  assert.deepEqual([...runs.values], [0, -1, 1]);
  const merged = mergeRuns(runs, { words: 1, count: 2, starts: Uint32Array.of(0, 15), values: Int32Array.of(7, 8) });
  assert.deepEqual([...merged.starts], [0, 10, 15, 20]);
  assert.deepEqual([[...merged.a], [...merged.b]], [[0, -1, -1, 1], [7, 7, 8, 8]]);
  const v6 = asnRowRuns(parseAsnTableData({ v6: 'ffff::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,3,C\n' }).v6);
  assert.deepEqual([...v6.values], [-1, 0]);
  assert.deepEqual([...v6.starts.subarray(4)], [0xffff0000, 0, 0, 0]);
});
