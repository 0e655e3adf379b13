import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyAuthority, normalizeAuthority } from './authority.ts';

test('normalizeAuthority: one value per authority the origin would treat alike (RFC 3986 §6.2.2.1, §6.2.3)', () => {
  const cases: [string | undefined, boolean, { host: string; authority: string } | null][] = [
    ['Example.ORG', false, { host: 'example.org', authority: 'example.org' }],
    ['example.org.', false, { host: 'example.org', authority: 'example.org' }],
    ['example.org:80', false, { host: 'example.org', authority: 'example.org' }],
    ['example.org:443', true, { host: 'example.org', authority: 'example.org' }],
    ['example.org:443', false, { host: 'example.org', authority: 'example.org:443' }],
    ['example.org:', false, { host: 'example.org', authority: 'example.org' }],
    ['example.org:08080', false, { host: 'example.org', authority: 'example.org:8080' }],
    ['[::1]:8080', false, { host: '[::1]', authority: '[::1]:8080' }],
    ['[::1]', true, { host: '[::1]', authority: '[::1]' }],
    ['example.org:99999', false, null],
    ['[::1]x', false, null],
    [undefined, false, { host: '', authority: '' }],
  ];
  for (const [raw, secure, want] of cases) assert.deepEqual(normalizeAuthority(raw, secure), want, `${raw} ${secure}`);
});

test('keyAuthority names the scheme', () => {
  assert.equal(keyAuthority(true, 'example.org'), 'https://example.org');
  assert.equal(keyAuthority(false, 'example.org:8080'), 'http://example.org:8080');
});
