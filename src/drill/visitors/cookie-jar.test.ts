import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCookieJar, parseSetCookie } from './cookie-jar.ts';

const NOW = 1_800_000_000_000;

test('parseSetCookie: name, value and expiry (Max-Age wins over Expires)', () => {
  const table: ReadonlyArray<readonly [string, ReturnType<typeof parseSetCookie>]> = [
    ['sid=abc; Path=/; HttpOnly', { name: 'sid', value: 'abc', expiresAtMs: Infinity }],
    ['a=b=c', { name: 'a', value: 'b=c', expiresAtMs: Infinity }],
    ['t=1; Max-Age=60', { name: 't', value: '1', expiresAtMs: NOW + 60_000 }],
    ['t=1; Max-Age=0', { name: 't', value: '1', expiresAtMs: -Infinity }],
    ['t=1; Expires=Thu, 01 Jan 2026 00:00:00 GMT', { name: 't', value: '1', expiresAtMs: Date.UTC(2026, 0, 1) }],
    ['t=1; Max-Age=10; Expires=Thu, 01 Jan 1970 00:00:00 GMT', { name: 't', value: '1', expiresAtMs: NOW + 10_000 }],
    ['=nameless', undefined],
    ['novalue', undefined],
  ];
  for (const [line, expected] of table) assert.deepEqual(parseSetCookie(line, NOW), expected, line);
});

test('cookie jar: stores, expires, deletes, caps', () => {
  const jar = createCookieJar();
  assert.equal(jar.header(NOW), undefined);
  jar.store(['sid=1; HttpOnly', 'short=x; Max-Age=1'], NOW);
  assert.equal(jar.header(NOW), 'sid=1; short=x');
  assert.equal(jar.header(NOW + 2000), 'sid=1', 'expired cookie dropped');
  jar.store('sid=; Max-Age=0', NOW);
  assert.equal(jar.header(NOW), undefined, 'deleted by Max-Age=0');
  jar.set('clearance', 'tok');
  assert.equal(jar.get('clearance', NOW), 'tok');
  for (let i = 0; i < 60; i++) jar.set(`c${i}`, 'v');
  assert.equal(jar.size(), 50);
  assert.equal(jar.get('clearance', NOW), undefined, 'oldest evicted');
  jar.set('huge', 'x'.repeat(5000));
  assert.equal(jar.get('huge', NOW), undefined, 'oversized cookie refused');
});
