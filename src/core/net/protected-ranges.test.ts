import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressLabel, createProtectedRanges } from './protected-ranges.ts';
import { parseCidr, parseIp } from './ip.ts';

test('addressLabel', () => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['172.15.255.255', 'public'],
    ['192.168.1.1', 'private'],
    ['192.169.1.1', 'public'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.0', 'public'],
    ['100.63.255.255', 'public'],
    ['fd12:3456::1', 'private'],
    ['fc00::1', 'private'],
    ['fe80::1', 'link_local'],
    ['febf::1', 'link_local'],
    ['fec0::1', 'public'],
    ['169.254.169.254', 'link_local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', 'public'],
    ['203.0.113.7', 'public'],
    ['2001:db8::1', 'public'],
    ['2a00:1450::1', 'public'],
    ['garbage', 'reserved'],
  ];
  for (const [a, want] of cases) {
    assert.equal(addressLabel(a), want, a);
    const p = parseIp(a);
    if (p) assert.equal(addressLabel(p), want, `${a} parsed`);
  }
});

test('protected ranges: entries that cover or sit inside loopback, private, link-local, proxies', () => {
  const p = createProtectedRanges({ trustedProxies: ['198.51.100.10', '2001:db8:ffff::/48', 'bogus'] });
  const cases: Array<[string, string | null]> = [
    ['127.0.0.0/8', 'loopback 127.0.0.0/8'],
    ['127.0.0.1', 'loopback 127.0.0.0/8'],
    ['0.0.0.0/0', 'loopback 127.0.0.0/8'],
    ['100.0.0.0/8', 'private 100.64.0.0/10'],
    ['::/0', 'loopback ::1/128'],
    ['10.0.0.0/8', 'private 10.0.0.0/8'],
    ['10.20.30.0/24', 'private 10.0.0.0/8'],
    ['172.16.0.0/12', 'private 172.16.0.0/12'],
    ['172.0.0.0/8', 'private 172.16.0.0/12'],
    ['192.168.0.0/16', 'private 192.168.0.0/16'],
    ['100.64.0.0/10', 'private 100.64.0.0/10'],
    ['fd00::/8', 'private fc00::/7'],
    ['169.254.0.0/16', 'link_local 169.254.0.0/16'],
    ['fe80::/64', 'link_local fe80::/10'],
    ['198.51.100.0/24', 'trusted_proxy 198.51.100.10/32'],
    ['2001:db8::/32', 'trusted_proxy 2001:db8:ffff::/48'],
    ['0.0.0.0/8', null],
    ['224.0.0.0/3', null],
    ['1.10.16.0/20', null],
    ['2a06:5280::/29', null],
    ['198.51.101.0/24', null],
  ];
  for (const [cidr, want] of cases) {
    const hit = p.check(parseCidr(cidr)!);
    assert.equal(hit && `${hit.reason} ${hit.range}`, want, cidr);
  }
  assert.deepEqual(p.invalid, ['bogus']);
});
