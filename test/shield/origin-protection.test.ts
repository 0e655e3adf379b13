/**
 * Issue #5 over real sockets: the origin never sees more concurrent requests than the admission limit
 * under a 2,000-request flood while cached pages keep being served; when the origin dies, stale pages are
 * served for the configured window, then 503 with Retry-After, and service resumes when it returns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { startBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture } from '../helpers/origin.ts';

test('2,000 concurrent requests against an origin with capacity 50: never above capacity, cache keeps serving', async () => {
  const origin = await startOriginFixture({ capacity: 50, latencyMs: 50, bodyBytes: 128, paths: { '/home': { cacheControl: 'public, max-age=60' } } });
  const b = await startBulwark({
    connections: { max_connections_per_client: 5000 },
    sites: [{ name: 'p', hosts: ['*'], origins: [origin.url], shield: { admission: { max_limit: 50, initial_limit: 50, max_queue: 4000, max_wait: '20s' } } }],
  });
  const agent = new Agent({ connections: 2100 });
  try {
    // Two uses: the cache admits a URL on its second use (one-off URLs never evict popular pages).
    for (let i = 0; i < 2; i++) await (await request(`${b.url}/home`, { dispatcher: agent })).body.dump();
    const flood = Array.from({ length: 2000 }, (_, i) =>
      request(`${b.url}/search?q=${i}`, { dispatcher: agent }).then(async (r) => {
        await r.body.dump();
        return r.statusCode;
      }),
    );
    // While the flood is queued, the cached home page is served at once.
    await new Promise((r) => setTimeout(r, 200));
    const t = Date.now();
    const home = await request(`${b.url}/home`, { dispatcher: agent });
    await home.body.dump();
    assert.equal(home.headers['x-bulwark-cache'], 'HIT');
    assert.ok(Date.now() - t < 1000, 'the cached page did not wait behind the flood');
    const statuses = await Promise.all(flood);
    const s = origin.stats();
    assert.ok(s.peakConcurrency <= 50, `origin peak concurrency ${s.peakConcurrency}`);
    assert.equal(s.overCapacity, 0, 'the origin never had to refuse for capacity');
    assert.equal(statuses.filter((x) => x === 200).length + statuses.filter((x) => x === 503).length, 2000);
    assert.ok(statuses.filter((x) => x === 200).length >= 1900, 'nearly all were served after queueing');
  } finally {
    await agent.close();
    await b.stop();
    await origin.stop();
  }
});

test('origin killed: stale for the window, then 503 with Retry-After, then recovery', async () => {
  const origin = await startOriginFixture({ paths: { '/page': { cacheControl: 'public, max-age=1' } } });
  const b = await startBulwark({
    sites: [
      {
        name: 'k',
        hosts: ['*'],
        origins: [origin.url],
        shield: { cache: { admit_after_uses: 1, stale_if_error: '2s', stale_while_revalidate: 0 }, breaker: { failure_threshold: 2, cool_down: '300ms' }, retry_after: '7s' },
      },
    ],
  });
  const get = async () => {
    const r = await request(`${b.url}/page`);
    await r.body.dump();
    return { status: r.statusCode, cache: r.headers['x-bulwark-cache'], retryAfter: r.headers['retry-after'] };
  };
  try {
    assert.equal((await get()).cache, 'MISS');
    assert.equal((await get()).cache, 'HIT');
    await origin.kill();
    await new Promise((r) => setTimeout(r, 1200)); // now stale, inside stale-if-error
    const stale = await get();
    assert.equal(stale.status, 200);
    assert.equal(stale.cache, 'STALE');
    await new Promise((r) => setTimeout(r, 2200)); // past the stale window
    const statuses: number[] = [];
    let last = await get();
    for (let i = 0; i < 5 && last.status !== 503; i++) {
      statuses.push(last.status);
      last = await get();
    }
    assert.equal(last.status, 503, `got ${statuses.join(',')} then ${last.status}`);
    assert.equal(last.retryAfter, '7');
    await origin.revive();
    let recovered = false;
    for (let i = 0; i < 40 && !recovered; i++) {
      await new Promise((r) => setTimeout(r, 100));
      recovered = (await get()).status === 200;
    }
    assert.ok(recovered, 'service resumed after the origin came back');
  } finally {
    await b.stop();
    await origin.stop();
  }
});
