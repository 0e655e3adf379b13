import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { isIp, isIpv4Mapped, normalizeAddress, parseIp, prefixKey, prefixKeyOf, prefixKeys } from './ip.ts';

test('normalizeAddress', () => {
  const cases: Array<[string, string | null]> = [
    ['203.0.113.7', '203.0.113.7'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['0:0:0:0:0:ffff:203.0.113.7', '203.0.113.7'],
    ['::ffff:cb00:7107', '203.0.113.7'],
    ['[::ffff:127.0.0.1]', '127.0.0.1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // leftmost of equal runs (RFC 5952 §4.2.3)
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // longest run wins
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['::', '::'],
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[fe80::1%25eth0]', 'fe80::1'],
    // Interface names as Linux spells them (VLANs, bridges): ipaddr.js only takes letters and digits.
    ['fe80::1%eth0.100', 'fe80::1'],
    ['fe80::1%br-lan_2', 'fe80::1'],
    ['::1.2.3.4', '::102:304'], // IPv4-compatible (deprecated) is not mapped
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    // not addresses
    ['', null],
    ['01.2.3.4', null], // leading zero: octal to some parsers
    ['1.2.3', null],
    ['1.2.3.4.5', null],
    ['256.1.1.1', null],
    ['1.2.3.4 ', null],
    [' 1.2.3.4', null],
    ['0x7f.0.0.1', null],
    ['[1.2.3.4]', null],
    ['1.2.3.4%eth0', null],
    ['1::2::3', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['1:2:3:4:5:6:7:8::', null],
    ['12345::', null],
    [':1::', null],
    ['1:', null],
    ['fe80::1%', null],
    ['[::1]:80', null],
    ['::ffff:1.2.3', null],
    ['1.2.3.4::', null],
    ['g::1', null],
    ['localhost', null],
  ];
  for (const [raw, want] of cases) assert.equal(normalizeAddress(raw), want, raw);
});

test('parseIp', () => {
  assert.deepEqual(parseIp('203.0.113.7'), { family: 4, v4: 0xcb007107 });
  assert.deepEqual(parseIp('::ffff:203.0.113.7'), { family: 4, v4: 0xcb007107 });
  assert.deepEqual(parseIp('2001:db8::ff00:42:8329'), { family: 6, v6: Uint32Array.of(0x20010db8, 0, 0xff00, 0x00428329) });
  assert.equal(parseIp('nope'), null);
});

test('isIpv4Mapped and isIp', () => {
  assert.equal(isIpv4Mapped('::ffff:1.2.3.4'), true);
  assert.equal(isIpv4Mapped('::ffff:102:304'), true);
  assert.equal(isIpv4Mapped('1.2.3.4'), false);
  assert.equal(isIpv4Mapped('::1'), false);
  assert.equal(isIp('::1'), true);
  assert.equal(isIp('1.2.3.4'), true);
  assert.equal(isIp('x'), false);
});

test('prefixKey', () => {
  const cases: Array<[string, number, string | null]> = [
    ['203.0.113.7', 24, '203.0.113.0/24'],
    ['203.0.113.7', 16, '203.0.0.0/16'],
    ['203.0.113.7', 32, '203.0.113.7/32'],
    ['203.0.113.7', 0, '0.0.0.0/0'],
    ['203.0.113.7', 40, '203.0.113.7/32'], // clamped to the family
    ['::ffff:203.0.113.7', 24, '203.0.113.0/24'],
    ['2001:db8:1:2:3:4:5:6', 64, '2001:db8:1:2::/64'],
    ['2001:db8:1:2:3:4:5:6', 48, '2001:db8:1::/48'],
    ['2001:db8:1:2:3:4:5:6', 56, '2001:db8:1::/56'],
    ['2001:db8:1:2ff:3:4:5:6', 56, '2001:db8:1:200::/56'],
    ['2001:db8:1:2:3:4:5:6', 128, '2001:db8:1:2:3:4:5:6/128'],
    ['2001:db8:1:2:3:4:5:6', 0, '::/0'],
    ['2001:db8:1:2:3:4:5:6', 31, '2001:db8::/31'],
    ['2001:db9:1:2:3:4:5:6', 31, '2001:db8::/31'],
    ['junk', 24, null],
  ];
  for (const [a, bits, want] of cases) assert.equal(prefixKey(a, bits), want, `${a}/${bits}`);
});

test('prefixKeys picks levels by family and parses once', () => {
  assert.deepEqual(prefixKeys('203.0.113.7'), ['203.0.113.0/24', '203.0.0.0/16']);
  assert.deepEqual(prefixKeys('2001:db8:1:2:3:4:5:6'), ['2001:db8:1:2::/64', '2001:db8:1::/48']);
  assert.deepEqual(prefixKeys('2001:db8:1:2:3:4:5:6', { v4: [24], v6: [56, 32] }), ['2001:db8:1::/56', '2001:db8::/32']);
  assert.deepEqual(prefixKeys('nope'), []);
  assert.equal(prefixKeyOf({ family: 4, v4: 0x0a010203 }, 8), '10.0.0.0/8');
  assert.equal(prefixKeyOf(parseIp('2001:db8::1')!, 32), '2001:db8::/32');
});

const v4Arb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const groupArb = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const v6GroupsArb = fc.array(groupArb, { minLength: 8, maxLength: 8 });
/** Random IPv6 text in many spellings: full, upper case, leading zeros, ipaddr.js compressed. */
const v6Arb = fc.tuple(v6GroupsArb, fc.nat(3)).map(([g, style]) => {
  const addr = new ipaddr.IPv6(g);
  if (style === 0) return addr.toNormalizedString();
  if (style === 1) return addr.toRFC5952String().toUpperCase();
  if (style === 2) return g.map((x) => x.toString(16).padStart(4, '0')).join(':');
  return addr.toRFC5952String();
});
const anyAddrArb = fc.oneof(v4Arb, v6Arb, v4Arb.map((a) => `::ffff:${a}`));

test('property: normalizeAddress is idempotent and agrees with ipaddr.js', () => {
  fc.assert(
    fc.property(anyAddrArb, (a) => {
      const n = normalizeAddress(a);
      assert.notEqual(n, null);
      assert.equal(normalizeAddress(n!), n);
      const ref = ipaddr.process(a);
      assert.equal(n, ref.kind() === 'ipv6' ? (ref as ipaddr.IPv6).toRFC5952String() : ref.toString());
    }),
    { numRuns: 2000 },
  );
});

test('property: normalizeAddress never throws and rejects what ipaddr.js rejects', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%[]x_- '.split('')), maxLength: 45 }), (s) => {
      const n = normalizeAddress(s);
      // Zone ids may also hold `.`, `_` and `-` here (interface names such as eth0.100 or br-lan, RFC 4007
      // §11), where ipaddr.js takes letters and digits only: compare with the zone id spelled its way.
      const forIpaddr = s.replace(/^\[(.*)\]$/, '$1').replace(/%[0-9A-Za-z._-]+$/, '%z');
      if (n !== null) assert.equal(ipaddr.isValid(forIpaddr), true, s);
    }),
    { numRuns: 5000 },
  );
});

function refPrefixKey(a: string, bits: number): string {
  const ip = ipaddr.process(a);
  const max = ip.kind() === 'ipv4' ? 32 : 128;
  const b = Math.min(bits, max);
  const bytes = ip.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, b - i * 8));
    bytes[i] &= (0xff << (8 - keep)) & 0xff;
  }
  const net = ipaddr.fromByteArray(bytes);
  return `${net.kind() === 'ipv6' ? (net as ipaddr.IPv6).toRFC5952String() : net.toString()}/${b}`;
}

test('property: prefixKey agrees with an ipaddr.js computation', () => {
  fc.assert(
    fc.property(anyAddrArb, fc.nat(128), (a, bits) => {
      assert.equal(prefixKey(a, bits), refPrefixKey(a, bits));
    }),
    { numRuns: 3000 },
  );
});
