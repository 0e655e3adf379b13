/**
 * Origin protection over real sockets: the origin never sees more concurrent requests than the admission limit
 * under a 2,000-request flood while cached pages keep being served; when the origin dies, stale pages are
 * served for the configured window, then 503 with Retry-After, and service resumes when it returns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { mintClearance } from '../../src/core/challenge/tokens.ts';
import { startBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture } from '../helpers/origin.ts';

test('2,000 concurrent requests against an origin with capacity 50: never above capacity, cache keeps serving, cleared visitors first', async () => {
  const origin = await startOriginFixture({ capacity: 50, latencyMs: 50, bodyBytes: 128, paths: { '/home': { cacheControl: 'public, max-age=60' } } });
  const b = await startBulwark({
    connections: { max_connections_per_client: 5000 },
    sites: [{ name: 'p', hosts: ['*'], origins: [origin.url], shield: { admission: { max_limit: 50, initial_limit: 50, max_queue: 4000, max_wait: '30s' } } }],
  });
  // 2,000 requests from 200 addresses (10 each): every one is allowed by the policy.
  const agents = Array.from({ length: 200 }, (_, i) => new Agent({ localAddress: `127.70.${i >> 8}.${(i & 255) + 1}`, connections: 20 }));
  const visitorAgent = new Agent({ localAddress: '127.71.0.1' });
  const runtime = b.bulwark.runtime();
  const clearance = mintClearance(
    { site: runtime.sites[0]!.challenge.site, client: { address: '127.71.0.1', prefix: '127.71.0.0/24', userAgent: 'visitor' }, binding: 'prefix', lifetimeS: 600, level: 'normal', proof: { via: 'pow', work: { count: 32, bits: 19 } } },
    runtime.services.challenge.keys,
    Date.now(),
  );
  try {
    // Two uses: the cache admits a URL on its second use (one-off URLs never evict popular pages).
    for (let i = 0; i < 2; i++) await (await request(`${b.url}/home`, { dispatcher: visitorAgent })).body.dump();
    const started = Date.now();
    const flood = Array.from({ length: 2000 }, (_, i) =>
      request(`${b.url}/search?q=${i}`, { dispatcher: agents[i % 200]! }).then(async (r) => {
        await r.body.dump();
        return { status: r.statusCode, ms: Date.now() - started };
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    // While the flood is queued: the cached home page is served at once...
    const t = Date.now();
    const home = await request(`${b.url}/home`, { dispatcher: visitorAgent });
    await home.body.dump();
    assert.equal(home.headers['x-bulwark-cache'], 'HIT');
    assert.ok(Date.now() - t < 1000, 'the cached page did not wait behind the flood');
    // ...and a cleared visitor's uncached request jumps the queue of unknown clients.
    const v = Date.now();
    const cleared = await request(`${b.url}/search?q=visitor`, { dispatcher: visitorAgent, headers: { cookie: `bulwark_clearance=${clearance.value}`, 'user-agent': 'visitor' } });
    await cleared.body.dump();
    const clearedMs = Date.now() - v;
    const results = await Promise.all(flood);
    const s = origin.stats();
    assert.ok(s.peakConcurrency <= 50, `origin peak concurrency ${s.peakConcurrency}`);
    assert.equal(s.overCapacity, 0, 'the origin never had to refuse for capacity');
    assert.equal(cleared.statusCode, 200);
    const unknownTimes = results.filter((r) => r.status === 200).map((r) => r.ms).sort((a, b2) => a - b2);
    const median = unknownTimes[Math.floor(unknownTimes.length / 2)]!;
    assert.ok(clearedMs < median, `cleared visitor ${clearedMs} ms vs unknown clients' median ${median} ms`);
    assert.ok(results.filter((r) => r.status === 200).length >= 1900, 'nearly all were served after queueing');
  } finally {
    for (const a of agents) await a.close();
    await visitorAgent.close();
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
