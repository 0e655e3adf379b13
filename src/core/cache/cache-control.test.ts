import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DELTA_SECONDS_MAX,
  headerValue,
  parseCacheControl,
  parseDeltaSeconds,
  parseHttpDate,
  parseVary,
  type CacheControl,
} from './cache-control.ts';

describe('parseCacheControl', () => {
  const table: Array<[string | undefined, Partial<CacheControl>]> = [
    [undefined, { maxAge: undefined, noStore: false }],
    ['', { maxAge: undefined }],
    ['max-age=60', { maxAge: 60, invalid: false }],
    ['MAX-AGE=60, Public', { maxAge: 60, public: true }],
    ['public, max-age=3600, s-maxage=600', { maxAge: 3600, sMaxAge: 600, public: true }],
    ['no-store', { noStore: true }],
    ['no-cache', { noCache: true }],
    ['no-cache="set-cookie, x-user"', { noCache: true, maxAge: undefined }],
    ['private', { private: true }],
    ['private="set-cookie", max-age=10', { private: true, maxAge: 10 }],
    ['must-revalidate, proxy-revalidate', { mustRevalidate: true, proxyRevalidate: true }],
    ['max-age=600, stale-while-revalidate=30', { maxAge: 600, staleWhileRevalidate: 30 }],
    ['max-age=600, stale-if-error=1200', { maxAge: 600, staleIfError: 1200 }], // RFC 5861 §4 example
    ['max-age="5"', { maxAge: 5, invalid: false }],
    ['max-age=abc', { maxAge: 0, invalid: true }], // RFC 9111 §4.2.1: invalid means stale
    ['max-age=', { maxAge: 0, invalid: true }],
    ['max-age', { maxAge: 0, invalid: true }],
    ['max-age=-1', { maxAge: 0, invalid: true }],
    ['max-age=10, max-age=20', { maxAge: 0, invalid: true }], // conflicting duplicates: stale
    ['max-age=10, max-age=10', { maxAge: 10, invalid: false }],
    ['max-age=99999999999999999999', { maxAge: DELTA_SECONDS_MAX }], // RFC 9111 §1.2.2
    ['  max-age = 7 ,  no-transform ', { maxAge: 7, noTransform: true }],
    ['foo="a,b", max-age=3', { maxAge: 3 }], // comma inside quotes of an unknown directive
    ['x="a\\"b,c", s-maxage=4', { sMaxAge: 4 }],
    [',,max-age=1,,', { maxAge: 1 }],
    ['max-stale', { maxStale: Infinity }],
    ['max-stale=30, min-fresh=5, only-if-cached', { maxStale: 30, minFresh: 5, onlyIfCached: true }],
    ['immutable, max-age=31536000', { immutable: true, maxAge: 31536000 }],
    ['community="UCI"', { maxAge: undefined }], // RFC 9111 §5.2.3 extension example, ignored
  ];
  for (const [input, want] of table) {
    it(`parses ${JSON.stringify(input)}`, () => {
      const got = parseCacheControl(input);
      for (const [k, v] of Object.entries(want)) assert.equal(got[k as keyof CacheControl], v, k);
    });
  }
});

describe('parseDeltaSeconds', () => {
  const table: Array<[string | undefined, number | undefined]> = [
    ['0', 0], ['120', 120], ['"30"', 30], ['1.5', undefined], ['', undefined], ['+5', undefined],
    [' 5', undefined], [undefined, undefined], ['2147483649', DELTA_SECONDS_MAX],
  ];
  for (const [input, want] of table) it(`${JSON.stringify(input)} → ${want}`, () => assert.equal(parseDeltaSeconds(input), want));
});

describe('parseHttpDate', () => {
  const t = Date.UTC(1994, 10, 6, 8, 49, 37);
  const table: Array<[string | undefined, number | undefined]> = [
    ['Sun, 06 Nov 1994 08:49:37 GMT', t], // RFC 9110 §5.6.7 IMF-fixdate
    ['Sunday, 06-Nov-94 08:49:37 GMT', t], // obsolete RFC 850
    ['Sun Nov  6 08:49:37 1994', t], // asctime, read as GMT whatever the local zone
    ['0', undefined],
    ['99999', undefined],
    ['2024-01-01T00:00:00Z', undefined],
    ['Sun, 06 Nov 1994 08:49:37 PST', undefined],
    [undefined, undefined],
  ];
  for (const [input, want] of table) it(`${JSON.stringify(input)}`, () => assert.equal(parseHttpDate(input), want));
});

describe('parseVary', () => {
  const table: Array<[string | undefined, readonly string[] | '*']> = [
    [undefined, []],
    ['Accept-Encoding', ['accept-encoding']],
    ['accept-language, Accept-Encoding, accept-encoding', ['accept-encoding', 'accept-language']],
    ['Accept, *', '*'],
    ['*', '*'],
    [' , ', []],
  ];
  for (const [input, want] of table) it(`${JSON.stringify(input)}`, () => assert.deepEqual(parseVary(input), want));
});

describe('headerValue', () => {
  it('joins repeated field lines and passes strings through', () => {
    assert.equal(headerValue({ 'cache-control': ['max-age=1', 'public'] }, 'cache-control'), 'max-age=1, public');
    assert.equal(headerValue({ vary: 'accept' }, 'vary'), 'accept');
    assert.equal(headerValue({ vary: [] }, 'vary'), undefined);
    assert.equal(headerValue({}, 'vary'), undefined);
  });
});
