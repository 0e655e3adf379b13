/**
 * Disabling the cache through Object.prototype names: an origin response with `Vary: constructor` (or
 * `__proto__`: the lower-case names found on Object.prototype) used to make the
 * header lookup find a function instead of a field, throw, and silently never cache that page — a
 * page the attacker can then flood straight through to the origin. Header lookups never see the
 * prototype (core/cache/cache-control.ts, headerValue), and such a page caches like any other.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';

let origin: SimpleOrigin;
let b: TestBulwark;

before(async () => {
  origin = await startSimpleOrigin((req, res) => {
    const vary = decodeURIComponent(req.url!.slice('/vary/'.length));
    const body = `page varying on ${vary}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=60', vary, 'x-extra': 'constructor' });
    res.end(body);
  });
  b = await startBulwark({ sites: [{ name: 'v', hosts: ['*'], origins: [origin.url], shield: { cache: { admit_after_uses: 1 } } }] });
});

after(async () => {
  await b.stop();
  await origin.close();
});

// Vary names are compared lower-cased: these are the Object.prototype names that survive that.
for (const name of ['constructor', '__proto__', 'Accept, Constructor']) {
  test(`disabling the cache through Vary: ${name}: the page is cached and served from the cache`, async () => {
    const path = `/vary/${encodeURIComponent(name)}`;
    const seen = origin.requests.length;
    const statuses: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await request(`${b.url}${path}`, { headers: { accept: 'text/plain' } });
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), `page varying on ${name}`);
      statuses.push(String(res.headers['x-bulwark-cache']));
    }
    assert.deepEqual(statuses, ['MISS', 'HIT', 'HIT', 'HIT']);
    assert.equal(origin.requests.length - seen, 1, 'the origin answered once');
  });
}

test('disabling the cache through Vary: a request that sends the named field gets its own variant', async () => {
  const path = `/vary/${encodeURIComponent('x-variant')}`;
  const one = await request(`${b.url}${path}`, { headers: { 'x-variant': 'a' } });
  await one.body.text();
  const other = await request(`${b.url}${path}`, { headers: { 'x-variant': 'b' } });
  await other.body.text();
  assert.equal(other.headers['x-bulwark-cache'], 'MISS');
  const stats = b.bulwark.stats() as { sites: { site: string; shield: { cache: { storeFailures: number } } | null }[] };
  assert.equal(stats.sites.find((s) => s.site === 'v')!.shield!.cache.storeFailures, 0);
});
