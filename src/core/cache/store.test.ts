import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { HeaderBag } from './cache-control.ts';
import { createCacheKeyer } from './cache-key.ts';
import { ageSeconds, createEntry, entryMatches, type CacheEntry } from './entry.ts';
import { DEFAULT_SITE_CACHE_POLICY, classifyCacheRequest, storable, type SiteCachePolicy } from './storable.ts';
import { createResponseStore, type ResponseStoreOptions } from './store.ts';

const T0 = 1_700_000_000_000;
const POLICY: SiteCachePolicy = { ...DEFAULT_SITE_CACHE_POLICY, microTtlMs: 5_000, staleWhileRevalidateMs: 10_000, staleIfErrorMs: 60_000 };
const keyer = createCacheKeyer();

function request(path: string, headers: Record<string, string> = {}) {
  const header = (n: string) => headers[n];
  return { method: 'GET', host: 'example.org', path, header, anonymous: headers.cookie === undefined && headers.authorization === undefined };
}

/** What the shield phase does on a miss: decide, build, put. */
function respond(
  path: string,
  resHeaders: HeaderBag,
  nowMs: number,
  opts: { reqHeaders?: Record<string, string>; body?: string; status?: number } = {},
): { entry?: CacheEntry; reason: string } {
  const r = request(path, opts.reqHeaders);
  const res = { status: opts.status ?? 200, headers: resHeaders, body: Buffer.from(opts.body ?? `body of ${path}`) };
  const d = storable(r, res, POLICY, nowMs);
  return d.storable ? { entry: createEntry(keyer(r), res, d, nowMs, r.header), reason: d.reason } : { reason: d.reason };
}

function store(o: ResponseStoreOptions = {}) {
  return createResponseStore({ admitAfterUses: 1, ...o });
}

describe('response store: lookup states', () => {
  it('fresh → stale_revalidate → stale_if_error_only → miss (expired, removed)', () => {
    const s = store();
    const { entry } = respond('/a', { 'cache-control': 'max-age=10, stale-while-revalidate=5, stale-if-error=30' }, T0);
    const r = request('/a');
    s.lookup(keyer(r), T0, r);
    assert.equal(s.put(entry!), 'stored');
    const table: Array<[number, string]> = [
      [0, 'fresh'], [9_999, 'fresh'], [10_000, 'stale_revalidate'], [14_999, 'stale_revalidate'],
      [15_000, 'stale_if_error_only'], [39_999, 'stale_if_error_only'], [40_000, 'miss'], [40_001, 'miss'],
    ];
    for (const [dt, want] of table) assert.equal(s.lookup(keyer(r), T0 + dt, r).state, want, `at +${dt}`);
    const st = s.stats();
    assert.equal(st.expired, 1);
    assert.equal(st.entries, 0);
    assert.equal(st.keys, 0);
  });
  it('Age grows from the received Age', () => {
    const { entry } = respond('/a', { 'cache-control': 'max-age=100', age: '7' }, T0);
    assert.equal(ageSeconds(entry!, T0 + 2_500), 9);
  });
});

describe('response store: peek', () => {
  it('says what lookup would, at every state, and changes nothing (uses, counters, expired entries)', () => {
    const s = store();
    const { entry } = respond('/a', { 'cache-control': 'max-age=10, stale-while-revalidate=5, stale-if-error=30' }, T0);
    const r = request('/a');
    s.lookup(keyer(r), T0, r);
    assert.equal(s.put(entry!), 'stored');
    const before = s.stats();
    for (const dt of [0, 9_999, 10_000, 15_000, 40_000]) {
      const p = s.peek(keyer(r), T0 + dt, r);
      assert.equal(p.state, dt < 10_000 ? 'fresh' : dt < 15_000 ? 'stale_revalidate' : dt < 40_000 ? 'stale_if_error_only' : 'miss', `at +${dt}`);
      if (p.state !== 'miss') assert.equal(p.entry, entry);
    }
    assert.deepEqual(s.stats(), before, 'no counter moved, the expired entry is still there');
    assert.equal(s.peek(keyer(request('/other')), T0, request('/other')).state, 'miss');
    // A use counted by peek would let a second key in after one lookup: it does not.
    const twice = createResponseStore({ admitAfterUses: 2 });
    const q = request('/q');
    for (let i = 0; i < 5; i++) twice.peek(keyer(q), T0, q);
    twice.lookup(keyer(q), T0, q);
    assert.equal(twice.put(respond('/q', { 'cache-control': 'max-age=60' }, T0).entry!), 'refused_admission');
    assert.equal(s.lookup(keyer(r), T0 + 1, r).state, 'fresh', 'lookup after peeks as before');
  });
});

describe('response store: admission after N uses', () => {
  it('a key is stored only from its Nth use on', () => {
    const s = createResponseStore({ admitAfterUses: 2 });
    const r = request('/popular');
    const { entry } = respond('/popular', { 'cache-control': 'max-age=60' }, T0);
    assert.equal(s.lookup(keyer(r), T0, r).state, 'miss');
    assert.equal(s.put(entry!), 'refused_admission');
    assert.equal(s.lookup(keyer(r), T0 + 1, r).state, 'miss');
    assert.equal(s.put(entry!), 'stored');
    assert.equal(s.lookup(keyer(r), T0 + 2, r).state, 'fresh');
    assert.equal(s.stats().admissionsRefused, 1);
  });
  it('one-off random URLs never evict popular pages', () => {
    const body = 'x'.repeat(1000);
    const s = createResponseStore({ maxBytes: 40_000, maxObjectBytes: 2_000, admitAfterUses: 2 });
    const popular = Array.from({ length: 20 }, (_, i) => `/page/${i}`);
    let t = T0;
    for (let round = 0; round < 3; round++) {
      for (const p of popular) {
        const r = request(p);
        if (s.lookup(keyer(r), t++, r).state === 'miss') s.put(respond(p, { 'cache-control': 'max-age=3600' }, t, { body }).entry!);
      }
    }
    assert.equal(s.stats().keys, 20);
    for (let i = 0; i < 5_000; i++) {
      const p = `/search?q=${i.toString(36)}`;
      const r = request(p);
      if (s.lookup(keyer(r), t++, r).state === 'miss') s.put(respond(p, { 'cache-control': 'max-age=3600' }, t, { body }).entry!);
    }
    for (const p of popular) assert.equal(s.lookup(keyer(request(p)), t, request(p)).state, 'fresh', p);
    assert.ok(s.stats().admissionsRefused >= 5_000);
  });
  it('keys asked twice still lose against more popular victims (TinyLFU comparison)', () => {
    const body = 'x'.repeat(1000);
    const s = createResponseStore({ maxBytes: 20_000, maxObjectBytes: 2_000, admitAfterUses: 2 });
    let t = T0;
    const popular = Array.from({ length: 12 }, (_, i) => `/hot/${i}`);
    for (let round = 0; round < 5; round++) {
      for (const p of popular) {
        const r = request(p);
        if (s.lookup(keyer(r), t++, r).state === 'miss') s.put(respond(p, { 'cache-control': 'max-age=3600' }, t, { body }).entry!);
      }
    }
    for (let i = 0; i < 2_000; i++) {
      const p = `/x?r=${i}`;
      const r = request(p);
      s.lookup(keyer(r), t++, r);
      if (s.lookup(keyer(r), t++, r).state === 'miss') s.put(respond(p, { 'cache-control': 'max-age=3600' }, t, { body }).entry!);
    }
    const kept = popular.filter((p) => s.lookup(keyer(request(p)), t, request(p)).state === 'fresh');
    assert.ok(kept.length >= 10, `kept ${kept.length}`);
  });
});

describe('response store: byte budget and LRU', () => {
  it('never exceeds its budget and evicts least recently used first', () => {
    const s = store({ maxBytes: 6_000, maxObjectBytes: 1_000 });
    const body = 'y'.repeat(700); // ~1 130 bytes accounted per key: five fit
    const put = (p: string, t: number) => s.put(respond(p, { 'cache-control': 'max-age=60' }, t, { body }).entry!);
    for (let i = 0; i < 5; i++) put(`/k${i}`, T0);
    s.lookup(keyer(request('/k0')), T0, request('/k0')); // k0 becomes most recent
    put('/k5', T0);
    put('/k6', T0);
    assert.equal(s.stats().keys, 5);
    assert.ok(s.stats().bytes <= 6_000);
    assert.equal(s.lookup(keyer(request('/k0')), T0, request('/k0')).state, 'fresh');
    assert.equal(s.lookup(keyer(request('/k1')), T0, request('/k1')).state, 'miss');
    assert.ok(s.stats().evictions >= 1);
    assert.equal(s.stats().entries, s.stats().keys);
  });
  it('never holds more than maxKeys keys, least recently used out first, each eviction counted', () => {
    const s = store({ maxKeys: 3 });
    const put = (p: string) => s.put(respond(p, { 'cache-control': 'max-age=60' }, T0).entry!);
    for (let i = 0; i < 3; i++) put(`/n${i}`);
    s.lookup(keyer(request('/n0')), T0, request('/n0')); // n0 becomes most recent
    put('/n3');
    put('/n4');
    assert.equal(s.stats().keys, 3);
    assert.deepEqual(['/n0', '/n1', '/n2', '/n3', '/n4'].map((p) => s.lookup(keyer(request(p)), T0, request(p)).state), ['fresh', 'miss', 'miss', 'fresh', 'fresh']);
    assert.equal(s.stats().evictions, 2);
    assert.equal(s.stats().entries, 3);
  });
  it('refuses objects over the maximum size', () => {
    const s = store({ maxBytes: 10_000, maxObjectBytes: 100 });
    assert.equal(s.put(respond('/big', { 'cache-control': 'max-age=60' }, T0, { body: 'z'.repeat(101) }).entry!), 'too_large');
    assert.equal(s.stats().tooLarge, 1);
  });
  it('rejects a maxObjectBytes above maxBytes', () => {
    assert.throws(() => createResponseStore({ maxBytes: 10, maxObjectBytes: 11 }), { code: 'BULWARK_ERR_CACHE_OPTIONS' });
  });
});

describe('response store: Vary and anonymous-only', () => {
  it('serves each variant only to matching requests, capped per key', () => {
    const s = store({ maxVariantsPerKey: 2 });
    const res = { 'cache-control': 'max-age=60', vary: 'Accept-Language' };
    for (const lang of ['fr', 'en', 'de']) s.put(respond('/v', res, T0, { reqHeaders: { 'accept-language': lang }, body: lang }).entry!);
    const look = (lang: string) => s.lookup(keyer(request('/v')), T0, request('/v', { 'accept-language': lang }));
    assert.equal(look('fr').state, 'miss'); // oldest variant dropped
    assert.equal(look('en').entry?.body.toString(), 'en');
    assert.equal(look('de').entry?.body.toString(), 'de');
    assert.equal(look('it').state, 'miss');
    assert.equal(s.stats().entries, 2);
  });
  it('a micro-cached page is never served to a request with a cookie', () => {
    const s = store();
    const { entry, reason } = respond('/m', {}, T0);
    assert.equal(reason, 'micro_ttl');
    s.put(entry!);
    assert.equal(s.lookup(keyer(request('/m')), T0, request('/m')).state, 'fresh');
    assert.equal(s.lookup(keyer(request('/m')), T0, request('/m', { cookie: 'sid=1' })).state, 'miss');
    assert.equal(entryMatches(entry!, request('/m').header, false), false);
  });
  it("one user's page is never served to another", () => {
    const s = store();
    const personal: Array<[HeaderBag, Record<string, string>]> = [
      [{ 'cache-control': 'private, max-age=60' }, { cookie: 'sid=alice' }],
      [{ 'cache-control': 'max-age=60' }, { cookie: 'sid=alice' }],
      [{ 'cache-control': 'max-age=60' }, { authorization: 'Basic YWxpY2U6eA==' }],
      [{ 'cache-control': 'public, s-maxage=60', 'set-cookie': 'sid=alice' }, {}],
      [{ 'cache-control': 'no-store' }, {}],
      [{ 'cache-control': 'public, max-age=60', vary: 'Cookie' }, { cookie: 'sid=alice' }],
      [{}, { cookie: 'sid=alice' }],
    ];
    for (const [res, reqHeaders] of personal) {
      const { entry } = respond('/me', res, T0, { reqHeaders, body: 'alice' });
      if (entry !== undefined) s.put(entry);
    }
    for (const bob of [{}, { cookie: 'sid=bob' }] as Array<Record<string, string>>) {
      const got = s.lookup(keyer(request('/me')), T0 + 1, request('/me', bob));
      assert.equal(got.state, 'miss', JSON.stringify(bob));
    }
    assert.equal(s.stats().entries, 0);
  });
  it('coalesced waiters check the leader entry against their own Vary values', () => {
    const { entry } = respond('/v', { 'cache-control': 'max-age=60', vary: 'accept-encoding' }, T0, { reqHeaders: { 'accept-encoding': 'gzip' } });
    assert.equal(entryMatches(entry!, (n) => ({ 'accept-encoding': 'gzip' })[n], true), true);
    assert.equal(entryMatches(entry!, (n) => ({ 'accept-encoding': 'br' })[n], true), false);
  });
});

describe('response store: headers, pinning, purge, sweep', () => {
  it('stores no hop-by-hop fields, no Set-Cookie, no Age; sets content-length', () => {
    const { entry } = respond('/h', { 'cache-control': 'max-age=60', connection: 'x-secret, keep-alive', 'x-secret': '1', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', age: '3', 'content-type': 'text/html', link: ['<a>', '<b>'] }, T0, { body: 'hello' });
    assert.deepEqual({ ...entry!.headers }, { 'cache-control': 'max-age=60', 'content-type': 'text/html', link: ['<a>', '<b>'], 'content-length': '5' });
  });
  it('pinned keys survive any flood; their number is capped', () => {
    const s = store({ maxBytes: 5_000, maxObjectBytes: 1_000, maxPinned: 1 });
    const body = 'p'.repeat(800);
    assert.equal(s.put(respond('/', { 'cache-control': 'max-age=60' }, T0, { body }).entry!, { pin: true }), 'stored');
    assert.equal(s.put(respond('/two', { 'cache-control': 'max-age=60' }, T0, { body }).entry!, { pin: true }), 'pin_limit');
    for (let i = 0; i < 50; i++) s.put(respond(`/f${i}`, { 'cache-control': 'max-age=60' }, T0, { body }).entry!);
    assert.equal(s.lookup(keyer(request('/')), T0, request('/')).state, 'fresh');
    assert.equal(s.stats().pinnedKeys, 1);
    assert.equal(s.put(respond('/', { 'cache-control': 'max-age=60' }, T0 + 1, { body: 'new' }).entry!), 'stored');
    assert.equal(s.lookup(keyer(request('/')), T0 + 1, request('/')).entry?.body.toString(), 'new');
    assert.equal(s.delete(keyer(request('/'))), true);
    assert.equal(s.stats().pinnedKeys, 0);
  });
  it('delete purges; sweep drops expired least-recently-used records', () => {
    const s = store();
    s.put(respond('/a', { 'cache-control': 'max-age=1' }, T0).entry!);
    s.put(respond('/b', { 'cache-control': 'max-age=100' }, T0).entry!);
    s.put(respond('/c', { 'cache-control': 'max-age=1' }, T0).entry!);
    assert.equal(s.sweep(T0 + 2_000), 0); // still inside the policy's stale-if-error window
    assert.equal(s.sweep(T0 + 61_000), 2);
    assert.deepEqual([s.stats().keys, s.stats().entries, s.stats().expired], [1, 1, 2]);
    assert.equal(s.delete(keyer(request('/b'))), true);
    assert.equal(s.delete(keyer(request('/b'))), false);
    assert.equal(s.stats().entries, 0);
  });
  it('classifyCacheRequest feeds the lookup request', () => {
    const r = request('/x', { cookie: 'a=1' });
    assert.equal(classifyCacheRequest(r, POLICY).anonymous, false);
  });
});

describe('response store: properties', () => {
  it('random puts and lookups never exceed the budget, and the accounting returns to zero', () => {
    const op = fc.record({ key: fc.integer({ min: 0, max: 30 }), lang: fc.constantFrom('fr', 'en', 'de', 'it'), size: fc.integer({ min: 0, max: 900 }), vary: fc.boolean(), lookup: fc.boolean(), dt: fc.nat(3_000) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const s = createResponseStore({ maxBytes: 8_000, maxObjectBytes: 800, maxVariantsPerKey: 3, admitAfterUses: 2 });
        let t = T0;
        const seen = new Set<string>();
        for (const o of ops) {
          t += o.dt;
          const path = `/k${o.key}`;
          const reqHeaders = { 'accept-language': o.lang };
          const r = request(path, reqHeaders);
          seen.add(keyer(r));
          if (o.lookup) s.lookup(keyer(r), t, r);
          else {
            const res = o.vary ? { 'cache-control': 'max-age=2', vary: 'accept-language' } : { 'cache-control': 'max-age=2' };
            s.put(respond(path, res, t, { reqHeaders, body: 'b'.repeat(o.size) }).entry!);
          }
          const st = s.stats();
          assert.ok(st.bytes <= st.maxBytes, `${st.bytes} > ${st.maxBytes}`);
          assert.ok(st.entries >= st.keys && st.entries <= st.keys * 3, `entries ${st.entries}, keys ${st.keys}`);
        }
        for (const k of seen) s.delete(k);
        assert.deepEqual([s.stats().entries, s.stats().keys, s.stats().bytes], [0, 0, 0]);
      }),
    );
  });
});
