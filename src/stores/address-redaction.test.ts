import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { removeAddressSourceData, truncateAddress, truncateAddressesInJson, truncateAddressesInText } from './address-redaction.ts';

describe('truncateAddress', () => {
  const cases: Array<[string, string]> = [
    ['203.0.113.7', '203.0.113.0/24'],
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['203.0.113.128/25', '203.0.113.0/24'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1::/48'],
    ['2001:db8:1:2::/64', '2001:db8:1::/48'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['::ffff:198.51.100.9', '198.51.100.0/24'],
    ['/login', '/login'],
    ['Mozilla/5.0', 'Mozilla/5.0'],
    ['1.2.3', '1.2.3'],
    ['deadbeef', 'deadbeef'],
    ['', ''],
  ];
  for (const [input, want] of cases) it(`${JSON.stringify(input)} → ${want}`, () => assert.equal(truncateAddress(input), want));
});

describe('truncateAddressesInText', () => {
  const cases: Array<[string, string]> = [
    ['top address 203.0.113.7 sent 30%', 'top address 203.0.113.0/24 sent 30%'],
    ['from 203.0.113.7.', 'from 203.0.113.0/24.'],
    ['ip=2001:db8:1:2::9, again 203.0.113.9', 'ip=2001:db8:1::/48, again 203.0.113.0/24'],
    ['GET /a/1.2.3.4 HTTP/1.1', 'GET /a/1.2.3.4 HTTP/1.1'],
    ['curl/8.1.2.3 Chrome/120.0.6099.109', 'curl/8.1.2.3 Chrome/120.0.6099.109'],
    ['at 10:30:00 on 2026.11.28', 'at 10:30:00 on 2026.11.28'],
  ];
  for (const [input, want] of cases) it(JSON.stringify(input), () => assert.equal(truncateAddressesInText(input), want));
});

describe('truncateAddressesInJson', () => {
  it('truncates values and keys, merging entries whose keys became equal', () => {
    const input = {
      top: {
        address: [
          { key: '203.0.113.7', count: 6, share: 0.375, label: 'first' },
          { key: 64500, count: 1 },
          { key: '203.0.113.9', count: 2, share: 0.125, label: 'second' },
        ],
      },
      tuples: [['203.0.113.1', 3, 0], ['203.0.113.2', 4, 1]],
      byKey: { '203.0.113.1': 3, '203.0.113.2': 4 },
      n: 5,
      ok: true,
      nothing: null,
    };
    assert.deepEqual(truncateAddressesInJson(input), {
      top: { address: [{ key: '203.0.113.0/24', count: 8, share: 0.5, label: 'first' }, { key: 64500, count: 1 }] },
      tuples: [['203.0.113.0/24', 7, 1]],
      byKey: { '203.0.113.0/24': 7 },
      n: 5,
      ok: true,
      nothing: null,
    });
  });

  it('does not modify its input', () => {
    const input = { a: ['203.0.113.7'] };
    truncateAddressesInJson(input);
    assert.deepEqual(input, { a: ['203.0.113.7'] });
  });
});

describe('removeAddressSourceData', () => {
  it('drops top.address and truncates the rest', () => {
    assert.deepEqual(removeAddressSourceData({ top: { address: [{ key: '203.0.113.7' }], prefix: [{ key: '2001:db8:1:2::/64' }] }, total: 3 }), {
      top: { prefix: [{ key: '2001:db8:1::/48' }] },
      total: 3,
    });
  });
  it('accepts summaries without a top list', () => {
    assert.deepEqual(removeAddressSourceData({ note: 'seen 203.0.113.7' }), { note: 'seen 203.0.113.0/24' });
    assert.equal(removeAddressSourceData(null), null);
  });
});
