import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LANE_BOUND_FIELDS, laneHeadersRepeat, laneRefusals, NOT_FOUND_BY } from './refusal-lane-policy.ts';

const rule = (action: string, shadow = false) => ({ action, shadow }) as never;

test('request-independent enforced limits open lanes; path/method/header keys, matches and shadow do not', () => {
  const lanes = laneRefusals(
    [
      { name: 'per-ip', key: ['site', 'address'] },
      { name: 'per-net', key: ['site', 'prefix', 'asn', 'country', 'fingerprint'] },
      { name: 'login', key: ['site', 'address'], match: { path: '=/login' } },
      { name: 'per-path', key: ['site', 'address', 'path'] },
      { name: 'per-method', key: ['site', 'method'] },
      { name: 'per-token', key: ['site', { header: 'authorization' }] },
      { name: 'trial', key: ['site', 'address'], shadow: true },
    ],
    [rule('block'), rule('challenge'), rule('allow', true)],
  );
  assert.deepEqual([...lanes].sort(), ['limit/not-found', 'limit/per-ip', 'limit/per-net']);
  assert.equal(NOT_FOUND_BY, 'limit/not-found');
});

test('an enforced allow rule closes every lane on the site (it may let a refused client through)', () => {
  assert.equal(laneRefusals([{ name: 'per-ip', key: ['site', 'address'] }], [rule('allow')]).size, 0);
});

test('laneHeadersRepeat: names in order always, values only for the bound fields', () => {
  const first = ['Host', 'a.test', 'User-Agent', 'ua', 'Referer', 'https://x/1', 'X-Bust', '1'];
  assert.equal(laneHeadersRepeat(first, [...first]), true);
  assert.equal(laneHeadersRepeat(first, ['Host', 'a.test', 'User-Agent', 'ua', 'Referer', 'https://x/2', 'X-Bust', '2']), true, 'free values vary');
  assert.equal(laneHeadersRepeat(first, ['Host', 'a.test', 'User-Agent', 'ua2', 'Referer', 'https://x/1', 'X-Bust', '1']), false, 'user agent is bound');
  assert.equal(laneHeadersRepeat(first, ['Host', 'a.test', 'Referer', 'https://x/1', 'User-Agent', 'ua', 'X-Bust', '1']), false, 'order');
  assert.equal(laneHeadersRepeat(first, ['host', 'a.test', 'User-Agent', 'ua', 'Referer', 'https://x/1', 'X-Bust', '1']), false, 'names as received');
  assert.equal(laneHeadersRepeat(first, first.slice(0, 6)), false, 'a field less');
  for (const name of LANE_BOUND_FIELDS) {
    const a = ['Host', 'a.test', name.toUpperCase(), 'one'];
    assert.equal(laneHeadersRepeat(a, ['Host', 'a.test', name.toUpperCase(), 'two']), false, name);
  }
});

test('laneHeadersRepeat: a User-Agent may change only under the lane\'s rule, to one of the same class', () => {
  const classOf = (ua: string) => (ua.startsWith('Mozilla/5.0') ? 'browser' : ua.startsWith('curl') ? 'library' : 'unknown') as 'browser' | 'library' | 'unknown';
  const first = ['Host', 'a.test', 'User-Agent', 'Mozilla/5.0 A'];
  const firefox = ['Host', 'a.test', 'User-Agent', 'Mozilla/5.0 B'];
  const curl = ['Host', 'a.test', 'User-Agent', 'curl/8'];
  assert.equal(laneHeadersRepeat(first, firefox), false, 'no rule: bound');
  assert.equal(laneHeadersRepeat(first, firefox, { uaClass: 'browser', classOf }), true, 'same class');
  assert.equal(laneHeadersRepeat(first, curl, { uaClass: 'browser', classOf }), false, 'another class');
  assert.equal(laneHeadersRepeat(first, [...first], null), true);
});

test('laneHeadersRepeat: a Cookie line may vary unless it carries (or carried) the clearance', () => {
  const first = ['Host', 'a.test', 'Cookie', 'visit=1', 'Cookie', 'bulwark_clearance=abc'];
  assert.equal(laneHeadersRepeat(first, ['Host', 'a.test', 'Cookie', 'visit=2', 'Cookie', 'bulwark_clearance=abc']), true, 'a session cookie varies');
  assert.equal(laneHeadersRepeat(first, ['Host', 'a.test', 'Cookie', 'visit=1', 'Cookie', 'bulwark_clearance=abd']), false, 'the clearance changed');
  assert.equal(laneHeadersRepeat(first, ['Host', 'a.test', 'Cookie', 'visit=1; bulwark_clearance=x', 'Cookie', 'bulwark_clearance=abc']), false, 'a clearance appeared');
  assert.equal(laneHeadersRepeat(['Host', 'a.test', 'cookie', 'a=1; bulwark_clearance=x'], ['Host', 'a.test', 'cookie', 'a=2']), false, 'a clearance went');
  assert.equal(laneHeadersRepeat(['Host', 'a.test', 'COOKIE', 'a=1'], ['Host', 'a.test', 'COOKIE', 'a=2; b=3']), true, 'any case of the name');
});
