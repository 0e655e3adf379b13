import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCidr, cidrContains, cidrHasAddress, cidrsOverlap, parseCidr } from './cidr.ts';
import type { Cidr } from './cidr.ts';

const c = (t: string): Cidr => parseCidr(t)!;

test('checkCidr: canonical text or a reason', () => {
  const cases: Array<[string, string]> = [
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['203.0.113.7', '203.0.113.7/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['::/0', '::/0'],
    ['::ffff:203.0.113.0/120', '203.0.113.0/24'],
    ['::ffff:0:0/96', '0.0.0.0/0'],
    ['::ffff:203.0.113.7', '203.0.113.7/32'],
    ['::ffff:0:0/95', 'host bits set (network is ::fffe:0:0/95)'],
    ['::fffe:0:0/95', '::fffe:0:0/95'],
    ['10.1.2.3/8', 'host bits set (network is 10.0.0.0/8)'],
    ['2001:db8::1/64', 'host bits set (network is 2001:db8::/64)'],
    ['1.2.3.0/33', 'invalid prefix length (0..32)'],
    ['::/129', 'invalid prefix length (0..128)'],
    ['1.2.3.0/024', 'invalid prefix length (0..32)'],
    ['1.2.3.0/', 'invalid prefix length (0..32)'],
    ['1.2.3.0/-1', 'invalid prefix length (0..32)'],
    ['1.2.3.0/ 24', 'invalid prefix length (0..32)'],
    ['1.2.3.0/24/1', 'invalid prefix length (0..32)'],
    ['1.2.3/24', 'not an IP address or CIDR'],
    ['/24', 'not an IP address or CIDR'],
    ['', 'not an IP address or CIDR'],
  ];
  for (const [text, want] of cases) {
    const r = checkCidr(text);
    assert.equal(typeof r === 'string' ? r : r.text, want, text);
  }
});

test('parseCidr clears host bits instead of refusing', () => {
  assert.equal(parseCidr('10.1.2.3/8')?.text, '10.0.0.0/8');
  assert.equal(parseCidr('2001:db8::1/64')?.text, '2001:db8::/64');
  assert.equal(parseCidr('x'), null);
});

test('overlap and containment', () => {
  const cases: Array<[string, string, boolean, boolean]> = [
    // a, b, overlap, a contains b
    ['10.0.0.0/8', '10.1.0.0/16', true, true],
    ['10.1.0.0/16', '10.0.0.0/8', true, false],
    ['10.0.0.0/8', '11.0.0.0/8', false, false],
    ['0.0.0.0/0', '127.0.0.1', true, true],
    ['10.0.0.0/8', '10.0.0.0/8', true, true],
    ['2001:db8::/32', '2001:db8:1::/48', true, true],
    ['2001:db8::/32', '2001:db9::/32', false, false],
    ['::/0', '::1', true, true],
    ['::/0', '0.0.0.0/0', false, false],
    ['fc00::/7', 'fd12:3456::/32', true, true],
    ['2001:db8::1:0:0:0/80', '2001:db8::1:0:0:5', true, true],
    ['2001:db8::1:0:0:0/80', '2001:db8::2:0:0:5', false, false],
  ];
  for (const [a, b, overlap, contains] of cases) {
    assert.equal(cidrsOverlap(c(a), c(b)), overlap, `${a} ~ ${b}`);
    assert.equal(cidrContains(c(a), c(b)), contains, `${a} ⊇ ${b}`);
  }
});

test('cidrHasAddress', () => {
  assert.equal(cidrHasAddress(c('10.0.0.0/8'), 4, Uint32Array.of(0x0a7f0001)), true);
  assert.equal(cidrHasAddress(c('10.0.0.0/8'), 4, Uint32Array.of(0x0b000001)), false);
  assert.equal(cidrHasAddress(c('10.0.0.0/8'), 6, new Uint32Array(4)), false);
  assert.equal(cidrHasAddress(c('2001:db8::/32'), 6, Uint32Array.of(0x20010db8, 1, 2, 3)), true);
  assert.equal(cidrHasAddress(c('2001:db8::/33'), 6, Uint32Array.of(0x20010db8, 0x80000000, 2, 3)), false);
});
