import { test } from 'node:test';
import assert from 'node:assert/strict';
import { banScopeGuardFromConfig, checkBanScope, createBanScopeGuard } from './ban-guard.ts';

const guard = createBanScopeGuard({ allow: ['198.51.100.0/24', '2001:db8:aa::/48'], trustedProxies: ['192.0.2.10', '10.9.0.0/16'] });

const CASES: Array<[key: string, clients: string[], expect: 'ok' | 'too_wide' | 'invalid', why: string]> = [
  ['203.0.113.7', [], 'ok', 'a host'],
  ['203.0.113.0/24', [], 'ok', 'a /24'],
  ['11.0.0.0/8', [], 'ok', 'the widest IPv4 prefix allowed'],
  ['2a00:1::/16', [], 'ok', 'the widest IPv6 prefix allowed (host bits cleared)'],
  ['0.0.0.0/0', [], 'too_wide', 'everyone (IPv4)'],
  ['::/0', [], 'too_wide', 'everyone (IPv6)'],
  ['12.0.0.0/7', [], 'too_wide', 'shorter than /8'],
  ['2000::/15', [], 'too_wide', 'shorter than /16'],
  ['127.0.0.1', [], 'too_wide', 'loopback host'],
  ['127.5.0.0/16', [], 'too_wide', 'inside loopback'],
  ['::1', [], 'too_wide', 'IPv6 loopback'],
  ['::ffff:127.0.0.1', [], 'too_wide', 'IPv4-mapped loopback'],
  ['198.51.100.9', [], 'too_wide', 'an allow-listed host'],
  ['198.51.0.0/16', [], 'too_wide', 'covers an allow-list entry'],
  ['2001:db8:aa:1::/64', [], 'too_wide', 'inside an allow-listed IPv6 prefix'],
  ['192.0.2.0/24', [], 'too_wide', 'covers a trusted proxy'],
  ['10.9.3.4', [], 'too_wide', 'inside a trusted proxy range'],
  ['203.0.113.0/24', ['203.0.113.50'], 'too_wide', "covers the admin's own client"],
  ['203.0.113.0/24', ['::ffff:203.0.113.50'], 'too_wide', "covers the admin's own client (IPv4-mapped)"],
  ['203.0.114.0/24', ['203.0.113.50'], 'ok', "next to the admin's client"],
  ['nope', [], 'invalid', 'not an address'],
  ['300.1.1.1', [], 'invalid', 'not an address'],
];

test('ban scope: hosts and plausible networks pass; everyone, loopback, admin clients, allow lists and trusted proxies need force', () => {
  for (const [key, clients, expect, why] of CASES) {
    const run = () => checkBanScope(guard, { key, clients });
    if (expect === 'ok') assert.doesNotThrow(run, why);
    else assert.throws(run, { code: expect === 'invalid' ? 'BULWARK_ERR_BAN_INVALID' : 'BULWARK_ERR_BAN_TOO_WIDE' }, `${key}: ${why}`);
    if (expect === 'too_wide') assert.equal(checkBanScope(guard, { key, clients, force: true }).key.length > 0, true, `${key}: force overrides`);
    if (expect === 'invalid') assert.throws(() => checkBanScope(guard, { key, force: true }), { code: 'BULWARK_ERR_BAN_INVALID' }, 'force never makes text a key');
  }
});

test('ban scope from a config reads the allow-list files (and skips unreadable ones)', () => {
  const g = banScopeGuardFromConfig(
    { trusted_proxies: [], lists: { allow: [], files: [{ path: 'a.txt', kind: 'allow', format: 'auto' }, { path: 'd.txt', kind: 'deny', format: 'auto' }, { path: 'missing', kind: 'allow', format: 'auto' }] } },
    (p) => {
      if (p === 'a.txt') return '# partners\n203.0.113.0/28\n';
      if (p === 'd.txt') return '198.18.0.0/15\n';
      throw new Error('ENOENT');
    },
  );
  assert.throws(() => checkBanScope(g, { key: '203.0.113.0/24' }), { code: 'BULWARK_ERR_BAN_TOO_WIDE' });
  assert.doesNotThrow(() => checkBanScope(g, { key: '198.18.0.0/16' }), 'deny-list files protect nothing');
});
