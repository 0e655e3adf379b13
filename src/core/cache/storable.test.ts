import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { HeaderBag } from './cache-control.ts';
import {
  DEFAULT_SITE_CACHE_POLICY,
  classifyCacheRequest,
  refusedForEveryone,
  refusedWithoutFreshness,
  storable,
  validateSiteCachePolicy,
  type SiteCachePolicy,
  type StorableDecision,
} from './storable.ts';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const HTTP_NOW = new Date(NOW).toUTCString();

function req(method: string, headers: Record<string, string> = {}) {
  return { method, header: (n: string) => headers[n] };
}

const MICRO: SiteCachePolicy = { ...DEFAULT_SITE_CACHE_POLICY, microTtlMs: 5_000, staleIfErrorMs: 60_000, staleWhileRevalidateMs: 10_000 };

interface Row {
  readonly name: string;
  readonly method?: string;
  readonly reqHeaders?: Record<string, string>;
  readonly status?: number;
  readonly headers: HeaderBag;
  readonly policy?: SiteCachePolicy;
  readonly want: Partial<StorableDecision>;
}

describe('storable', () => {
  const rows: Row[] = [
    { name: 'max-age', headers: { 'cache-control': 'max-age=60' }, want: { storable: true, reason: 'explicit', ttlMs: 60_000 } },
    { name: 's-maxage wins over max-age', headers: { 'cache-control': 'max-age=600, s-maxage=30' }, want: { ttlMs: 30_000 } },
    { name: 'Age is subtracted', headers: { 'cache-control': 'max-age=60', age: '15' }, want: { ttlMs: 45_000, initialAgeMs: 15_000 } },
    { name: 'Age beyond lifetime: expired', headers: { 'cache-control': 'max-age=60', age: '90' }, want: { storable: false, reason: 'expired' } },
    {
      name: 'Expires - Date',
      headers: { expires: new Date(NOW + 120_000).toUTCString(), date: HTTP_NOW },
      want: { storable: true, ttlMs: 120_000 },
    },
    { name: 'Expires without Date: against now', headers: { expires: new Date(NOW + 30_000).toUTCString() }, want: { ttlMs: 30_000 } },
    { name: 'max-age wins over Expires', headers: { 'cache-control': 'max-age=5', expires: new Date(NOW + 99_000).toUTCString() }, want: { ttlMs: 5_000 } },
    { name: 'Expires: 0 is in the past', headers: { expires: '0' }, policy: MICRO, want: { storable: true, ttlMs: 0, reason: 'explicit', staleIfErrorMs: 60_000 } },
    { name: 'Expires: 0 without stale windows', headers: { expires: '0' }, want: { storable: false, reason: 'expired' } },
    { name: 'no explicit freshness, no micro-cache', headers: {}, want: { storable: false, reason: 'no_freshness' } },
    { name: 'micro-TTL for anonymous requests', headers: { 'content-type': 'text/html' }, policy: MICRO, want: { storable: true, reason: 'micro_ttl', ttlMs: 5_000, anonymousOnly: true, staleIfErrorMs: 60_000, staleWhileRevalidateMs: 10_000 } },
    { name: 'micro-TTL not for a cookie request', reqHeaders: { cookie: 'sid=1' }, headers: {}, policy: MICRO, want: { storable: false, reason: 'cookie' } },
    { name: 'micro-TTL not for public + cookie without freshness', reqHeaders: { cookie: 'sid=1' }, headers: { 'cache-control': 'public' }, policy: MICRO, want: { storable: false, reason: 'no_freshness' } },
    { name: 'micro-TTL not for 302', status: 302, headers: {}, policy: MICRO, want: { storable: false, reason: 'no_freshness' } },
    { name: 'micro-TTL caches 404', status: 404, headers: {}, policy: MICRO, want: { storable: true, reason: 'micro_ttl' } },
    { name: '302 with explicit freshness', status: 302, headers: { 'cache-control': 'max-age=10' }, want: { storable: true } },
    { name: '500 never', status: 500, headers: { 'cache-control': 'max-age=10' }, want: { storable: false, reason: 'status' } },
    { name: '503 never', status: 503, headers: { 'cache-control': 'max-age=10' }, want: { storable: false, reason: 'status' } },
    { name: '206 never', status: 206, headers: { 'cache-control': 'max-age=10' }, want: { storable: false, reason: 'status' } },
    { name: '304 never', status: 304, headers: { 'cache-control': 'max-age=10' }, want: { storable: false, reason: 'status' } },
    { name: 'POST never', method: 'POST', headers: { 'cache-control': 'max-age=10' }, want: { storable: false, reason: 'method' } },
    { name: 'HEAD not stored', method: 'HEAD', headers: { 'cache-control': 'max-age=10' }, want: { storable: false, reason: 'method' } },
    { name: 'no-store', headers: { 'cache-control': 'no-store, max-age=60' }, policy: MICRO, want: { storable: false, reason: 'no_store' } },
    { name: 'private', headers: { 'cache-control': 'private, max-age=60' }, policy: MICRO, want: { storable: false, reason: 'private' } },
    { name: 'qualified private', headers: { 'cache-control': 'private="set-cookie", s-maxage=60' }, want: { storable: false, reason: 'private' } },
    { name: 'no-cache', headers: { 'cache-control': 'no-cache, max-age=60' }, policy: MICRO, want: { storable: false, reason: 'no_cache' } },
    { name: 'request no-store', reqHeaders: { 'cache-control': 'no-store' }, headers: { 'cache-control': 'max-age=60' }, want: { storable: false, reason: 'request_no_store' } },
    { name: 'Set-Cookie never, even public s-maxage', headers: { 'cache-control': 'public, s-maxage=60', 'set-cookie': ['sid=abc'] }, want: { storable: false, reason: 'set_cookie' } },
    { name: 'Set-Cookie never for micro', headers: { 'set-cookie': 'sid=abc' }, policy: MICRO, want: { storable: false, reason: 'set_cookie' } },
    { name: 'Vary: *', headers: { 'cache-control': 'max-age=60', vary: 'Accept, *' }, want: { storable: false, reason: 'vary_star' } },
    { name: 'Vary: Cookie', headers: { 'cache-control': 'public, max-age=60', vary: 'Cookie' }, want: { storable: false, reason: 'vary_private' } },
    { name: 'Vary: Authorization', headers: { 'cache-control': 'public, max-age=60', vary: 'authorization' }, want: { storable: false, reason: 'vary_private' } },
    { name: 'Vary: too many', headers: { 'cache-control': 'max-age=60', vary: 'a, b, c, d, e' }, want: { storable: false, reason: 'vary_too_many' } },
    { name: 'Vary names sorted', headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language, Accept-Encoding' }, want: { storable: true, vary: ['accept-encoding', 'accept-language'] } },
    { name: 'Authorization without shared intent', reqHeaders: { authorization: 'Basic x' }, headers: { 'cache-control': 'max-age=60' }, want: { storable: false, reason: 'authorization' } },
    { name: 'Authorization with public', reqHeaders: { authorization: 'Basic x' }, headers: { 'cache-control': 'public, max-age=60' }, want: { storable: true } },
    { name: 'Authorization with s-maxage', reqHeaders: { authorization: 'Basic x' }, headers: { 'cache-control': 's-maxage=60' }, want: { storable: true } },
    { name: 'Cookie request, plain max-age: personal page', reqHeaders: { cookie: 'sid=1' }, headers: { 'cache-control': 'max-age=60' }, want: { storable: false, reason: 'cookie' } },
    { name: 'Cookie request, public max-age', reqHeaders: { cookie: 'sid=1' }, headers: { 'cache-control': 'public, max-age=60' }, want: { storable: true, anonymousOnly: false } },
    { name: 'origin stale windows win', headers: { 'cache-control': 'max-age=60, stale-while-revalidate=5, stale-if-error=7' }, policy: MICRO, want: { staleWhileRevalidateMs: 5_000, staleIfErrorMs: 7_000 } },
    { name: 'policy stale windows by default', headers: { 'cache-control': 'max-age=60' }, policy: MICRO, want: { staleWhileRevalidateMs: 10_000, staleIfErrorMs: 60_000 } },
    { name: 'must-revalidate cancels stale', headers: { 'cache-control': 'max-age=60, must-revalidate, stale-if-error=600' }, policy: MICRO, want: { storable: true, staleWhileRevalidateMs: 0, staleIfErrorMs: 0 } },
    { name: 'proxy-revalidate cancels stale', headers: { 'cache-control': 'max-age=60, proxy-revalidate' }, policy: MICRO, want: { staleIfErrorMs: 0 } },
    { name: 's-maxage keeps policy stale windows (documented deviation)', headers: { 'cache-control': 's-maxage=60' }, policy: MICRO, want: { staleIfErrorMs: 60_000 } },
    { name: 'max-age=0 with stale-if-error is kept for errors', headers: { 'cache-control': 'max-age=0, stale-if-error=300' }, want: { storable: true, ttlMs: 0, staleIfErrorMs: 300_000 } },
    { name: 'invalid max-age is stale', headers: { 'cache-control': 'max-age=soon' }, want: { storable: false, reason: 'expired' } },
    { name: 'maxTtl caps', headers: { 'cache-control': 'max-age=31536000' }, want: { ttlMs: DEFAULT_SITE_CACHE_POLICY.maxTtlMs } },
    { name: 'maxStale caps', headers: { 'cache-control': 'max-age=1, stale-if-error=99999999' }, policy: { ...MICRO, maxStaleMs: 1000 }, want: { staleIfErrorMs: 1000 } },
    { name: 'repeated Cache-Control lines', headers: { 'cache-control': ['max-age=60', 'private'] }, want: { storable: false, reason: 'private' } },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const d = storable(req(r.method ?? 'GET', r.reqHeaders), { status: r.status ?? 200, headers: r.headers }, r.policy ?? DEFAULT_SITE_CACHE_POLICY, NOW);
      for (const [k, v] of Object.entries(r.want)) assert.deepEqual(d[k as keyof StorableDecision], v, k);
    });
  }
});

describe('classifyCacheRequest', () => {
  const rows: Array<[string, string, Record<string, string>, SiteCachePolicy, { lookup: boolean; anonymous: boolean; reason: string }]> = [
    ['anonymous GET', 'GET', {}, DEFAULT_SITE_CACHE_POLICY, { lookup: true, anonymous: true, reason: 'cacheable' }],
    ['HEAD', 'HEAD', {}, DEFAULT_SITE_CACHE_POLICY, { lookup: true, anonymous: true, reason: 'cacheable' }],
    ['cookie GET', 'GET', { cookie: 'a=1' }, DEFAULT_SITE_CACHE_POLICY, { lookup: true, anonymous: false, reason: 'cacheable' }],
    ['POST', 'POST', {}, DEFAULT_SITE_CACHE_POLICY, { lookup: false, anonymous: false, reason: 'method' }],
    ['Authorization', 'GET', { authorization: 'Bearer x' }, DEFAULT_SITE_CACHE_POLICY, { lookup: false, anonymous: false, reason: 'authorization' }],
    ['no-cache ignored by default', 'GET', { 'cache-control': 'no-cache' }, DEFAULT_SITE_CACHE_POLICY, { lookup: true, anonymous: true, reason: 'cacheable' }],
    ['no-cache honoured', 'GET', { 'cache-control': 'no-cache' }, { ...DEFAULT_SITE_CACHE_POLICY, honourRequestNoCache: true }, { lookup: false, anonymous: false, reason: 'request_no_cache' }],
    ['max-age=0 honoured', 'GET', { 'cache-control': 'max-age=0' }, { ...DEFAULT_SITE_CACHE_POLICY, honourRequestNoCache: true }, { lookup: false, anonymous: false, reason: 'request_no_cache' }],
  ];
  for (const [name, method, headers, policy, want] of rows) {
    it(name, () => assert.deepEqual({ ...classifyCacheRequest(req(method, headers), policy) }, want));
  }
});

describe('validateSiteCachePolicy', () => {
  it('accepts defaults and a 1–10 s micro-TTL', () => {
    validateSiteCachePolicy(DEFAULT_SITE_CACHE_POLICY);
    validateSiteCachePolicy(MICRO);
  });
  it('names every problem with a stable code', () => {
    assert.throws(
      () => validateSiteCachePolicy({ ...DEFAULT_SITE_CACHE_POLICY, microTtlMs: 60_000, maxTtlMs: -1 }),
      (e: Error & { code?: string }) => e.code === 'BULWARK_ERR_CACHE_POLICY' && /microTtlMs/.test(e.message) && /maxTtlMs/.test(e.message),
    );
  });
});

describe('refusedWithoutFreshness', () => {
  it('property: whenever it says refused, storable refuses every response without Cache-Control and Expires', () => {
    const other = fc.dictionary(fc.constantFrom('content-type', 'set-cookie', 'vary', 'age', 'date', 'last-modified', 'etag', 'pragma'), fc.constantFrom('text/html', 'a=1', 'accept', 'cookie', '*', '10', HTTP_NOW, 'x'));
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'HEAD', 'POST'),
        fc.dictionary(fc.constantFrom('cookie', 'authorization', 'cache-control'), fc.constantFrom('a=1', 'no-store', 'max-age=0')),
        fc.constantFrom(200, 203, 204, 206, 301, 302, 304, 307, 404, 410, 500, 501, 503),
        other,
        fc.constantFrom(DEFAULT_SITE_CACHE_POLICY, MICRO),
        (method, reqHeaders, status, headers, policy) => {
          const r = req(method, reqHeaders);
          if (refusedWithoutFreshness(r, status, policy)) assert.equal(storable(r, { status, headers }, policy, NOW).storable, false);
        },
      ),
    );
  });
  it('refused without a micro-cache; not for an anonymous GET of a heuristic status with one', () => {
    assert.equal(refusedWithoutFreshness(req('GET'), 200, DEFAULT_SITE_CACHE_POLICY), true);
    assert.equal(refusedWithoutFreshness(req('GET'), 200, MICRO), false);
    assert.equal(refusedWithoutFreshness(req('GET'), 404, MICRO), false);
    assert.equal(refusedWithoutFreshness(req('GET', { cookie: 'a=1' }), 200, MICRO), true);
    assert.equal(refusedWithoutFreshness(req('GET'), 302, MICRO), true);
    assert.equal(refusedWithoutFreshness(req('HEAD'), 200, MICRO), true);
  });
});

describe('refusedForEveryone', () => {
  const rows: [string, Parameters<typeof refusedForEveryone>[0], number, SiteCachePolicy, boolean][] = [
    ['no-store page', 'no_store', 200, DEFAULT_SITE_CACHE_POLICY, true],
    ['private page', 'private', 200, MICRO, true],
    ['a page that sets a cookie', 'set_cookie', 200, DEFAULT_SITE_CACHE_POLICY, true],
    ['Vary: Cookie', 'vary_private', 200, DEFAULT_SITE_CACHE_POLICY, true],
    ['no freshness, no micro-cache', 'no_freshness', 200, DEFAULT_SITE_CACHE_POLICY, true],
    ['no freshness, but a micro-cache could take it for an anonymous request', 'no_freshness', 200, MICRO, false],
    ['a 404 without freshness', 'no_freshness', 404, DEFAULT_SITE_CACHE_POLICY, true],
    ['the request had a cookie', 'cookie', 200, DEFAULT_SITE_CACHE_POLICY, false],
    ['the request had Authorization', 'authorization', 200, DEFAULT_SITE_CACHE_POLICY, false],
    ['the request said no-store', 'request_no_store', 200, DEFAULT_SITE_CACHE_POLICY, false],
    ['an origin in trouble (500)', 'status', 500, DEFAULT_SITE_CACHE_POLICY, false],
    ['an overloaded origin (503, no-store)', 'no_store', 503, DEFAULT_SITE_CACHE_POLICY, false],
    ['a 304 to a conditional request', 'status', 304, DEFAULT_SITE_CACHE_POLICY, false],
    ['a 302 without freshness', 'no_freshness', 302, DEFAULT_SITE_CACHE_POLICY, false],
    ['expired on arrival', 'expired', 200, DEFAULT_SITE_CACHE_POLICY, false],
  ];
  for (const [name, reason, status, policy, want] of rows) it(name, () => assert.equal(refusedForEveryone(reason, status, policy), want));
});
