import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildAsnTable } from './asn-table.ts';
import { formatV4 } from '../../net/ip-format.ts';
import { parseIp } from '../../net/ip.ts';

const V4 = `1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."
1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd
2.26.200.0,2.26.215.255,201907,"LLC ""SPUTNIK"""
8.8.8.0,8.8.8.255,15169,Google LLC
223.255.254.0,223.255.254.255,55415,Marina Bay Sands Pte Ltd
`;
const V6 = `2001::,2001::ffff:ffff:ffff:ffff:ffff:ffff,6939,Hurricane Electric LLC
2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC
2400::,24ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,4608,Wide Range
2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC
`;

test('lookups in both families, text format', () => {
  const t = buildAsnTable({ v4: V4, v6: V6 });
  const cases: Array<[string, string | null]> = [
    ['1.0.0.0', '13335 Cloudflare, Inc.'],
    ['1.0.0.255', '13335 Cloudflare, Inc.'],
    ['1.0.1.0', null],
    ['1.0.5.9', '38803 Gtelecom Pty Ltd'],
    ['2.26.201.1', '201907 LLC "SPUTNIK"'],
    ['0.255.255.255', null],
    ['223.255.254.7', '55415 Marina Bay Sands Pte Ltd'],
    ['255.255.255.255', null],
    ['::ffff:8.8.8.8', '15169 Google LLC'],
    ['2001:4860:4860::8888', '15169 Google LLC'],
    ['2001::1', '6939 Hurricane Electric LLC'],
    ['2001:1::1', null],
    ['2480::1', '4608 Wide Range'], // a range spanning many first-16-bit blocks
    ['24ff:ffff::', '4608 Wide Range'],
    ['2500::', null],
    ['::1', null],
    ['ffff::', null],
    ['bogus', null],
  ];
  for (const [a, want] of cases) {
    const r = t.lookup(a);
    assert.equal(r && `${r.asn} ${r.org}`, want, a);
    const p = parseIp(a);
    if (p) assert.deepEqual(t.lookup(p), r);
  }
  assert.equal(t.stats.v4Rows, 5);
  assert.equal(t.stats.v6Rows, 4);
  assert.equal(t.stats.orgs, 7); // Google LLC shared across families
  assert.equal(t.stats.invalidLines, 0);
});

test('numeric format (asn-ipv4-num.csv, asn-ipv6-num.csv)', () => {
  const t = buildAsnTable({
    v4: '16777216,16777471,13335,"Cloudflare, Inc."\r\n134744064,134744319,15169,Google LLC\r\n',
    v6: '42540488161975842760550356425300246528,42540488241204005274814694018844196863,6939,Hurricane Electric LLC\n',
  });
  assert.equal(t.lookup('1.0.0.1')?.asn, 13335);
  assert.equal(t.lookup('8.8.8.8')?.org, 'Google LLC');
  assert.equal(t.lookup('2001::5')?.asn, 6939);
  assert.equal(t.lookup('2001:1::')?.asn, undefined);
});

test('unsorted input is sorted; overlaps and inverted rows are repaired', () => {
  const t = buildAsnTable({
    v4: ['9.0.0.0,9.0.0.255,3,C', '1.0.0.0,1.0.0.255,1,A', '1.0.0.128,1.0.1.255,2,B', '5.0.0.9,5.0.0.1,4,Inverted'].join('\n'),
  });
  assert.equal(t.lookup('1.0.0.5')?.asn, 1);
  assert.equal(t.lookup('1.0.0.200')?.asn, 2); // the later-starting range wins from its start
  assert.equal(t.lookup('1.0.1.5')?.asn, 2);
  assert.equal(t.lookup('9.0.0.1')?.asn, 3);
  assert.equal(t.lookup('5.0.0.5'), null);
  assert.equal(t.stats.overlapsRepaired, 2);
  assert.equal(t.stats.v4Rows, 3);
});

test('invalid lines are counted with samples; caps truncate', () => {
  const t = buildAsnTable({ v4: ['1.0.0.0,1.0.0.255,1,A', 'x,y,z', '1.0.1.0,1.0.1.255,notnum,B', '1.0.2.0,1.0.2.255', '', '1.0.3.0,bad,3,C'].join('\n') });
  assert.equal(t.stats.v4Rows, 1);
  assert.equal(t.stats.invalidLines, 4);
  assert.deepEqual(
    t.stats.invalidSamples.map((s) => [s.line, s.reason]),
    [
      [2, 'fewer than 4 fields'],
      [3, 'bad AS number'],
      [4, 'fewer than 4 fields'],
      [6, 'bad range end'],
    ],
  );
  const capped = buildAsnTable({ v4: V4, maxRows: 2 });
  assert.equal(capped.stats.v4Rows, 2);
  assert.equal(capped.stats.truncated, true);
});

test('latin1 mode re-decodes UTF-8 organisation names', () => {
  const utf8 = '38.226.206.0,38.226.207.255,267578,Telefônica Brasil S.A\n';
  const asLatin1 = String.fromCharCode(...new TextEncoder().encode(utf8));
  const t = buildAsnTable({ v4: asLatin1, latin1: true });
  assert.equal(t.lookup('38.226.206.1')?.org, 'Telefônica Brasil S.A');
});

test('row handles are allocation-free accessors', () => {
  const t = buildAsnTable({ v4: V4, v6: V6 });
  const r4 = t.rowV4(0x08080808);
  assert.equal(t.asnAt(r4), 15169);
  const r6 = t.rowV6(Uint32Array.of(0x20010000, 0, 0, 1));
  assert.equal(t.orgAt(r6), 'Hurricane Electric LLC');
  assert.equal(t.rowV4(0x7f000001), -1);
});

test('property: binary search agrees with a linear scan over random ranges', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.nat(0xffffffff), { minLength: 2, maxLength: 200 }), fc.array(fc.nat(0xffffffff), { maxLength: 50 }), (cuts, probes) => {
      const sorted = [...cuts].sort((a, b) => a - b);
      const ranges: Array<[number, number, number]> = [];
      for (let i = 0; i + 1 < sorted.length; i += 2) ranges.push([sorted[i], sorted[i + 1], i + 1]);
      const csv = ranges.map(([s, e, asn]) => `${formatV4(s)},${formatV4(e)},${asn},org${asn % 7}`).join('\n');
      const t = buildAsnTable({ v4: csv });
      for (const p of [...probes, ...sorted]) {
        const want = ranges.find(([s, e]) => s <= p && p <= e)?.[2] ?? null;
        assert.equal(t.lookup(formatV4(p))?.asn ?? null, want);
      }
    }),
    { numRuns: 300 },
  );
});
