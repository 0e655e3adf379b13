import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKeyedCounter, createLatencyRecorder, createRateSeries } from './stats.ts';

test('latency recorder: percentiles within HDR precision, empty summary is zeros', () => {
  const rec = createLatencyRecorder();
  assert.deepEqual(rec.summary(), { count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 });
  for (let i = 1; i <= 1000; i++) rec.record(i / 10); // 0.1 .. 100 ms
  rec.record(-5);
  rec.record(Number.NaN);
  const s = rec.summary();
  assert.equal(s.count, 1000);
  assert.ok(Math.abs(s.p50Ms - 50) < 0.1, `p50 ${s.p50Ms}`);
  assert.ok(Math.abs(s.p99Ms - 99) < 0.2, `p99 ${s.p99Ms}`);
  assert.ok(Math.abs(s.maxMs - 100) < 0.2, `max ${s.maxMs}`);
});

test('latency recorder: merge adds counts', () => {
  const a = createLatencyRecorder();
  const b = createLatencyRecorder();
  a.record(1);
  b.record(1000);
  b.record(1000);
  a.merge(b);
  assert.equal(a.count(), 3);
  assert.ok(a.percentile(90) > 900);
});

test('keyed counter: caps distinct keys and keeps totals right', () => {
  const c = createKeyedCounter(3);
  c.add(200);
  c.add(200, 4);
  c.add('404');
  c.add(503);
  c.add(502);
  c.add(500, 2);
  assert.equal(c.get(200), 5);
  assert.equal(c.get('other'), 3);
  assert.equal(c.total(), 10);
  assert.deepEqual(c.fill(), { keys: 4, cap: 3, overflowed: true });
  c.reset();
  assert.equal(c.total(), 0);
});

test('rate series: per-second counts, peak, ring wrap-around', () => {
  const r = createRateSeries(5);
  const t0 = 1_000_000_000;
  r.add(t0);
  r.add(t0 + 999);
  r.add(t0 + 1000, 5);
  r.add(t0 + 3500);
  assert.equal(r.peak(), 5);
  assert.deepEqual(
    r.series(t0 + 3500).map((p) => p.count),
    [0, 2, 5, 0, 1],
  );
  r.add(t0 + 10_000, 2); // wraps: old slots are reused
  assert.deepEqual(
    r.series(t0 + 10_000).map((p) => p.count),
    [0, 0, 0, 0, 2],
  );
  r.add(t0, 1); // older than the window: counted in total only
  assert.equal(r.total(), 11);
  assert.equal(r.peak(), 5);
});
