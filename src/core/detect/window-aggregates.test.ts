import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createWindowAggregates, type RequestEvent } from './window-aggregates.ts';

const T0 = 1_700_000_000_000;

function event(over: Partial<RequestEvent> = {}): RequestEvent {
  return {
    site: 'news', outcome: 'forwarded', status: 200, address: '203.0.113.7', prefix: '203.0.113.0/24', asn: 64500,
    country: 'DE', path: '/', userAgent: 'Mozilla/5.0', fingerprint: 'fp1', cleared: false, originLatencyMs: 20,
    bytesIn: 300, bytesOut: 5000, cache: 'miss', challenge: null, ...over,
  };
}

describe('window aggregates', () => {
  it('counts one second by outcome, origin health, cache, challenges and clearance', () => {
    const agg = createWindowAggregates();
    const t = T0 + 100;
    agg.observe(event(), t);
    agg.observe(event({ status: 503, originLatencyMs: 900 }), t);
    agg.observe(event({ outcome: 'failed', status: 502, originLatencyMs: null, cache: null }), t);
    agg.observe(event({ outcome: 'cached', cache: 'hit', originLatencyMs: null, cleared: true }), t);
    agg.observe(event({ outcome: 'challenged', status: 200, challenge: 'issued', originLatencyMs: -1, cache: null }), t);
    agg.observe(event({ outcome: 'challenged', challenge: 'failed', originLatencyMs: null, cache: null }), t);
    agg.observe(event({ outcome: 'dropped', status: 0, path: null, userAgent: null, fingerprint: null, originLatencyMs: null, cache: null }), t);
    agg.observeQueue(7, t);
    agg.observeQueue(3, t);
    const during = agg.snapshot(t + 200);
    assert.equal(during.last.requests, 0, 'the current second is not complete yet');
    const s = agg.snapshot(T0 + 1000);
    assert.equal(s.last.requests, 7);
    assert.equal(s.last.outcomes.forwarded, 2);
    assert.equal(s.last.outcomes.challenged, 2);
    assert.equal(s.last.outcomes.dropped, 1);
    assert.equal(s.last.originResponses, 3);
    assert.equal(s.last.originErrors, 2);
    assert.equal(s.last.cleared, 1);
    assert.equal(s.last.clearedServed, 1);
    assert.equal(s.last.uncleared, 6);
    assert.equal(s.last.cacheHits, 1);
    assert.equal(s.last.cacheMisses, 2);
    assert.equal(s.last.challengesIssued, 1);
    assert.equal(s.last.challengesFailed, 1);
    assert.equal(s.last.queueMax, 7);
    assert.equal(s.last.bytesOut, 35_000);
    assert.equal(s.last.latencyCount, 2);
    assert.ok(s.last.latencyP50Ms! >= 20 && s.last.latencyP50Ms! < 24);
    assert.ok(s.last.latencyP99Ms! >= 900 && s.last.latencyP99Ms! < 1080);
    assert.equal(s.distinct.last, 1);
    assert.equal(s.heavy.total, 6);
    assert.deepEqual(s.heavy.byDimension.path, [{ key: '/', count: 5, error: 0 }]);
    assert.deepEqual(s.heavy.byDimension.asn, [{ key: 64500, count: 6, error: 0 }]);
  });

  it('keeps a sliding window: recent and window sums, a request series, and old seconds forgotten', () => {
    const agg = createWindowAggregates({ windowSeconds: 5, recentSeconds: 2 });
    for (let sec = 0; sec < 8; sec++) for (let i = 0; i <= sec; i++) agg.observe(event({ address: `10.0.${sec}.${i}` }), T0 + sec * 1000 + i);
    const s = agg.snapshot(T0 + 8000);
    assert.deepEqual(s.requestSeries, [4, 5, 6, 7, 8]);
    assert.equal(s.last.requests, 8);
    assert.equal(s.recent.requests, 15);
    assert.equal(s.recent.seconds, 2);
    assert.equal(s.window.requests, 30);
    assert.equal(s.distinct.window, 30);
    assert.equal(s.distinct.unclearedLast, 8);
    const later = agg.snapshot(T0 + 20_000);
    assert.equal(later.window.requests, 0);
    assert.deepEqual(later.heavy.byDimension.address, []);
  });

  it('finds the heavy hitters of uncleared traffic only, with shares over the recent seconds', () => {
    const agg = createWindowAggregates({ recentSeconds: 3 });
    for (let sec = 0; sec < 3; sec++) {
      for (let i = 0; i < 1000; i++) {
        const bot = i % 4 === 0;
        agg.observe(event({ address: `10.1.${sec}.${i % 250}`, prefix: bot ? '198.51.100.0/24' : `10.1.${sec}.0/24`, fingerprint: bot ? 'fpBot' : 'fp1' }), T0 + sec * 1000 + i);
        agg.observe(event({ cleared: true, prefix: '192.0.2.0/24', path: '/cleared-only' }), T0 + sec * 1000 + i);
      }
    }
    const s = agg.snapshot(T0 + 3000);
    assert.equal(s.heavy.total, 3000);
    const top = s.heavy.byDimension.prefix[0]!;
    assert.equal(top.key, '198.51.100.0/24');
    assert.ok(Math.abs((top.count - top.error) / s.heavy.total - 0.25) < 0.01);
    assert.ok(!s.heavy.byDimension.path.some((e) => e.key === '/cleared-only'), 'cleared requests are not heavy hitters');
    assert.equal(s.distinct.last, s.distinct.unclearedLast + 1);
  });

  it('stays within its caps under a million distinct sources', () => {
    const agg = createWindowAggregates();
    for (let i = 0; i < 1_000_000; i++) {
      agg.observe(event({ address: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`, prefix: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.0/24`, path: `/r${i}` }), T0 + Math.floor(i / 100_000) * 1000);
    }
    const stats = agg.stats();
    assert.ok(stats.heavyEntries <= stats.heavyCapacity);
    assert.equal(stats.events, 1_000_000);
    const s = agg.snapshot(T0 + 10_000);
    assert.equal(s.window.requests, 1_000_000);
    assert.ok(Math.abs(s.distinct.window / 1e6 - 1) < 0.03, `distinct ${s.distinct.window}`);
    assert.ok(s.heavy.byDimension.address.length <= 64);
  });

  it('truncates long keys, drops events older than the ring, and rejects inconsistent options', () => {
    const agg = createWindowAggregates({ maxKeyLength: 8 });
    agg.observe(event({ path: '/a-very-long-path', userAgent: 'curl' }), T0 + 50_000);
    agg.observe(event(), T0);
    const s = agg.snapshot(T0 + 51_000);
    assert.equal(s.heavy.byDimension.path[0]!.key, '/a-very-');
    assert.equal(agg.stats().truncatedKeys, 1);
    assert.equal(agg.stats().lateEvents, 1);
    agg.reset();
    assert.equal(agg.stats().events, 0);
    assert.throws(() => createWindowAggregates({ windowSeconds: 3, recentSeconds: 5 }), { code: 'BULWARK_ERR_DETECT_WINDOW' });
  });

  it('samples the heavy hitters beyond heavyExactPerSecond: shares stay close, counters stay exact', () => {
    const agg = createWindowAggregates({ heavyExactPerSecond: 1000, heavySampleEvery: 8, hashSeed: 42 });
    // 40,000 uncleared requests in one second: 75% on /login from one /24, the rest spread out.
    for (let i = 0; i < 40_000; i++) {
      const flood = i % 4 !== 0;
      agg.observe(event({ address: flood ? `198.51.100.${i % 200}` : `10.${i % 250}.${i % 7}.1`, prefix: flood ? '198.51.100.0/24' : `10.${i % 250}.0.0/24`, path: flood ? '/login' : `/p${i % 50}` }), T0 + 100 + (i % 800));
    }
    const s = agg.snapshot(T0 + 1000);
    assert.equal(s.last.requests, 40_000, 'counters are exact');
    assert.equal(s.heavy.total, 40_000);
    const login = s.heavy.byDimension.path.find((h) => h.key === '/login')!;
    assert.ok(Math.abs(login.count / 30_000 - 1) < 0.05, `the flood's path count is estimated within 5% (${login.count})`);
    const top = s.heavy.byDimension.prefix[0]!;
    assert.equal(top.key, '198.51.100.0/24');
    assert.ok(Math.abs(top.count / 30_000 - 1) < 0.05);
  });

  it('offers every request below heavyExactPerSecond (exact counts)', () => {
    const agg = createWindowAggregates({ heavyExactPerSecond: 1000, heavySampleEvery: 8 });
    for (let i = 0; i < 999; i++) agg.observe(event({ path: i % 3 === 0 ? '/a' : '/b' }), T0 + 10);
    const s = agg.snapshot(T0 + 1000);
    assert.deepEqual(s.heavy.byDimension.path.map((h) => [h.key, h.count]), [['/b', 666], ['/a', 333]]);
  });
});
