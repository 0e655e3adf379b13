/**
 * The micro-cache over real sockets: it honours Cache-Control (no-store, private, Vary,
 * Authorization, Set-Cookie — one user's page is never served to another), says HIT/MISS/STALE/BYPASS,
 * normalises keys so random query strings cannot bust it, and coalesces concurrent misses.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture, type OriginFixture } from '../helpers/origin.ts';

let origin: OriginFixture;
let b: TestBulwark;
const agent = new Agent({ connections: 400 });

before(async () => {
  origin = await startOriginFixture({
    bodyBytes: 256,
    paths: {
      '/public': { cacheControl: 'public, max-age=60' },
      '/private': { cacheControl: 'private, max-age=60' },
      '/nostore': { cacheControl: 'no-store' },
      '/cookie': { cacheControl: 'public, max-age=60', setCookie: 'session=abc' },
      '/vary': { cacheControl: 'public, max-age=60', vary: 'Accept-Language' },
      '/news/*': { cacheControl: 'public, max-age=60', latencyMs: 100 },
      '/slow': { cacheControl: 'public, max-age=60', latencyMs: 300 },
      '/plain': {},
      '/turns': { cacheControl: 'no-store', latencyMs: 50 },
    },
  });
  b = await startBulwark({
    connections: { max_connections_per_client: 5000 },
    sites: [{ name: 'c', hosts: ['*'], origins: [origin.url], shield: { cache: { admit_after_uses: 1, micro_ttl: '2s' } } }],
  });
});
after(async () => {
  await agent.close();
  await b.stop();
  await origin.stop();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await request(`${b.url}${path}`, { headers, dispatcher: agent });
  const body = await res.body.text();
  return { status: res.statusCode, cache: res.headers['x-bulwark-cache'], headers: res.headers, body };
}

function originHits(path: string): number {
  return origin.stats().byPath[path] ?? 0;
}

test('a public page is a MISS, then a HIT with Age, and the origin sees it once', async () => {
  assert.equal((await get('/public')).cache, 'MISS');
  const hit = await get('/public');
  assert.equal(hit.cache, 'HIT');
  assert.ok(hit.headers.age !== undefined);
  assert.equal(originHits('/public'), 1);
});

test('no-store and private responses are never stored', async () => {
  for (const path of ['/nostore', '/private']) {
    await get(path);
    await get(path);
    assert.equal(originHits(path), 2, path);
  }
});

test('a response that sets a cookie is never served to someone else', async () => {
  await get('/cookie');
  const second = await get('/cookie');
  assert.equal(second.headers['set-cookie'], 'session=abc', 'the second visitor got their own response');
  assert.equal(originHits('/cookie'), 2);
});

test('Vary keeps one variant per header value', async () => {
  await get('/vary', { 'accept-language': 'en' });
  await get('/vary', { 'accept-language': 'fr' });
  assert.equal(originHits('/vary'), 2);
  assert.equal((await get('/vary', { 'accept-language': 'en' })).cache, 'HIT');
  assert.equal((await get('/vary', { 'accept-language': 'fr' })).cache, 'HIT');
  assert.equal(originHits('/vary'), 2);
});

test('a request with Authorization bypasses the cache', async () => {
  await get('/public');
  const r = await get('/public', { authorization: 'Bearer user-1' });
  assert.equal(r.cache, 'BYPASS');
});

test('micro-cache: a page without caching headers is cached briefly, for anonymous requests only', async () => {
  await get('/plain');
  assert.equal((await get('/plain')).cache, 'HIT');
  const withCookie = await get('/plain', { cookie: 'session=u1' });
  assert.notEqual(withCookie.cache, 'HIT', 'a visitor with a cookie never gets a micro-cached page');
});

test('a cache-busting flood with random query strings costs at most one origin request per normalised key', async () => {
  const keys = 20;
  const before = Object.entries(origin.stats().byPath).filter(([p]) => p.startsWith('/news/')).reduce((n, [, v]) => n + v, 0);
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < 2000; i++) {
    const k = (i % keys) + 1;
    const r = Math.random().toString(36).slice(2);
    const q = i % 2 === 0 ? `utm_source=${r}&fbclid=${r}&id=1` : `fbclid=${r}&id=1&utm_campaign=${r}`;
    jobs.push(get(`/news/${k}?${q}`));
    if (jobs.length >= 200) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
  const after = Object.entries(origin.stats().byPath).filter(([p]) => p.startsWith('/news/')).reduce((n, [, v]) => n + v, 0);
  assert.ok(after - before <= keys, `origin saw ${after - before} requests for ${keys} normalised keys`);
});

test('concurrent misses on one key become one origin request', async () => {
  const results = await Promise.all(Array.from({ length: 100 }, () => get('/slow')));
  assert.ok(results.every((r) => r.status === 200));
  assert.equal(originHits('/slow'), 1);
  assert.equal(results.filter((r) => r.cache === 'MISS').length, 1);
});

function coalescerStats(): { alone: number; failed: number; unshareable: number } {
  const site = (b.bulwark.stats() as { sites: { site: string; shield: { cache: { coalescer: { alone: number; failed: number; unshareable: number } } } | null }[] }).sites.find((x) => x.site === 'c')!;
  return site.shield!.cache.coalescer;
}

test('hit-for-miss: once a page is known unshareable its concurrent requests go to the origin side by side, and it is stored once it turns cacheable', async () => {
  assert.equal((await get('/turns')).cache, 'MISS');
  const before = coalescerStats();
  assert.ok(before.unshareable >= 1, JSON.stringify(before));
  const results = await Promise.all(Array.from({ length: 20 }, () => get('/turns')));
  assert.ok(results.every((r) => r.status === 200 && r.cache === 'MISS'));
  const during = coalescerStats();
  // Nobody waited for another (no waiter was released empty-handed); every request reached the origin.
  assert.equal(during.alone - before.alone, 20);
  assert.equal(during.failed, before.failed);
  assert.equal(originHits('/turns'), 21);
  // The page becomes cacheable: the next request, not coalesced, still stores it, and the mark goes.
  origin.setPath('/turns', { cacheControl: 'public, max-age=60' });
  assert.equal((await get('/turns')).cache, 'MISS');
  assert.equal((await get('/turns')).cache, 'HIT');
  assert.equal(originHits('/turns'), 22);
  assert.equal(coalescerStats().unshareable, during.unshareable - 1);
});
