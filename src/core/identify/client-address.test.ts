import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTrustedProxies, normalizeAddress, resolveClientAddress } from './client-address.ts';

test('normalizeAddress', () => {
  const cases: [string, string | null][] = [
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['203.0.113.7:8080', '203.0.113.7'],
    ['::1', '::1'],
    ['not-an-ip', null],
    ['', null],
    ['999.1.1.1', null],
    ['0x7f.1', null],
    ['127.1', null],
  ];
  for (const [input, want] of cases) assert.equal(normalizeAddress(input), want, input);
});

test('X-Forwarded-For is ignored unless the peer is a trusted proxy', () => {
  const none = compileTrustedProxies([]);
  assert.deepEqual(resolveClientAddress('198.51.100.9', '1.2.3.4', none), { address: '198.51.100.9', peer: '198.51.100.9', forwardedFor: '' });
});

test('from a trusted proxy, the rightmost untrusted address is the client', () => {
  const trusted = compileTrustedProxies(['10.0.0.0/8', '::1']);
  assert.equal(resolveClientAddress('10.0.0.2', '6.6.6.6, 198.51.100.20, 10.1.1.1', trusted).address, '198.51.100.20');
  assert.equal(resolveClientAddress('::1', '2001:db8::7', trusted).address, '2001:db8::7');
  assert.equal(resolveClientAddress('::ffff:10.0.0.2', '198.51.100.20', trusted).address, '198.51.100.20');
  // All hops trusted: the leftmost is the best we know.
  assert.equal(resolveClientAddress('10.0.0.2', '10.0.0.3, 10.0.0.4', trusted).address, '10.0.0.3');
  // Garbage stops the walk at the last good address.
  assert.equal(resolveClientAddress('10.0.0.2', '198.51.100.1, evil', trusted).address, '10.0.0.2');
  assert.equal(resolveClientAddress('10.0.0.2', '', trusted).address, '10.0.0.2');
});

test('trusted proxies accept single addresses and IPv4-mapped CIDRs', () => {
  const t = compileTrustedProxies(['192.0.2.1', '::ffff:10.0.0.0/104']);
  assert.equal(t('192.0.2.1'), true);
  assert.equal(t('192.0.2.2'), false);
  assert.equal(t('10.9.9.9'), true);
  assert.equal(t('nonsense'), false);
});
