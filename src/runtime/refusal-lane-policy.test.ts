import assert from 'node:assert/strict';
import { test } from 'node:test';
import { laneRefusals, NOT_FOUND_BY } from './refusal-lane-policy.ts';

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
