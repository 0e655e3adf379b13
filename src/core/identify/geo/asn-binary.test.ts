import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeAsnTableData, encodeAsnTableData } from './asn-binary.ts';
import { asnTableFromData, parseAsnTableData } from './asn-table.ts';
import { formatV4 } from '../../net/ip-format.ts';

const V4 = `1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."
1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd
2.26.200.0,2.26.215.255,201907,"LLC ""SPUTNIK"""
8.8.8.0,8.8.8.255,15169,Google LLC
100.64.0.0,100.64.0.255,64512,Zürich Ämter AG
`;
const V6 = `2001::,2001::ffff:ffff:ffff:ffff:ffff:ffff,6939,Hurricane Electric LLC
2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC
`;

/** An image copied to a fresh 4-aligned buffer, as a file read gives it. */
const reread = (image: Uint8Array): Uint8Array => new Uint8Array(image);

test('an image decodes to the table it was made from: every lookup, the stats, non-ASCII names', () => {
  const data = parseAsnTableData({ v4: V4, v6: V6 });
  const direct = asnTableFromData(data);
  const loaded = asnTableFromData(decodeAsnTableData(reread(encodeAsnTableData(data))));
  for (const a of ['1.0.0.0', '1.0.0.255', '1.0.1.0', '1.0.5.9', '2.26.201.1', '8.8.8.8', '100.64.0.9', '255.255.255.255', '2001::1', '2a00:1450::5', '2a01::1', 'nope']) {
    assert.deepEqual(loaded.lookup(a), direct.lookup(a), a);
  }
  assert.deepEqual(loaded.lookup('100.64.0.1'), { asn: 64512, org: 'Zürich Ämter AG' });
  assert.deepEqual(loaded.stats, direct.stats);
});

test('property: image lookups equal the parsed table for random IPv4 addresses', () => {
  const data = parseAsnTableData({ v4: V4, v6: V6 });
  const direct = asnTableFromData(data);
  const loaded = asnTableFromData(decodeAsnTableData(reread(encodeAsnTableData(data))));
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => assert.deepEqual(loaded.lookup(formatV4(n)), direct.lookup(formatV4(n)))));
});

test('empty tables round-trip; a wrong magic, a truncated or misaligned image is refused', () => {
  const empty = asnTableFromData(decodeAsnTableData(reread(encodeAsnTableData(parseAsnTableData({})))));
  assert.equal(empty.lookup('8.8.8.8'), null);
  assert.equal(empty.stats.v4Rows + empty.stats.v6Rows, 0);
  const image = reread(encodeAsnTableData(parseAsnTableData({ v4: V4 })));
  assert.throws(() => decodeAsnTableData(image.subarray(0, image.length - 1)), /truncated/);
  const bad = reread(image);
  bad[0] = 0x58;
  assert.throws(() => decodeAsnTableData(bad), /not an ASN table image/);
  const shifted = new Uint8Array(image.length + 2);
  shifted.set(image, 2);
  assert.throws(() => decodeAsnTableData(shifted.subarray(2)), /aligned/);
});
