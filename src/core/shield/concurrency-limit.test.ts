import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createConcurrencyLimiter, type ConcurrencyLimiter } from './concurrency-limit.ts';

/**
 * A saturated origin in a fluid model: the limiter's limit is always full (a flood), the origin works on
 * `capacity` requests at a time in `serviceMs` and queues the rest, so latency = serviceMs × max(1, L/C).
 */
function drive(l: ConcurrencyLimiter, from: number, ms: number, capacity: number, serviceMs: number, drop = false): number {
  for (let t = from; t < from + ms; t += 10) {
    const L = l.limit();
    const latency = serviceMs * Math.max(1, L / capacity);
    const done = Math.max(1, Math.round((Math.min(L, capacity) * 10) / serviceMs));
    for (let i = 0; i < done; i++) l.onSample(latency, drop, L, t);
  }
  return from + ms;
}

describe('gradient limiter', () => {
  it('converges near the origin capacity, down when latency rises, up when it falls', () => {
    const l = createConcurrencyLimiter({ minLimit: 2, maxLimit: 1_000, initialLimit: 10, minRttIntervalMs: 0, minRttDrift: 0 });
    let t = drive(l, 0, 20_000, 100, 20);
    const healthy = l.limit();
    assert.ok(healthy >= 100 && healthy <= 200, `healthy ${healthy}`);
    t = drive(l, t, 20_000, 20, 20); // the origin degrades: 20 at a time
    const degraded = l.limit();
    assert.ok(degraded >= 15 && degraded <= 45, `degraded ${degraded}`);
    drive(l, t, 20_000, 100, 20);
    assert.ok(l.limit() >= 100, `recovered ${l.limit()}`);
    assert.equal(l.stats().minRttMs, 20);
  });
  it('without probes, a lasting rise of the no-load latency is learned through drift', () => {
    const l = createConcurrencyLimiter({ minLimit: 2, maxLimit: 1_000, initialLimit: 10, minRttIntervalMs: 0, buffer: 1 });
    let t = drive(l, 0, 20_000, 100, 20);
    const before = l.limit();
    // The origin now takes 60 ms per request even unloaded (a slower release), same capacity.
    t = drive(l, t, 120_000, 100, 60);
    assert.ok(l.stats().minRttMs > 40, `min RTT followed the new normal: ${l.stats().minRttMs}`);
    assert.ok(l.limit() >= before * 0.6, `limit ${l.limit()} did not collapse (was ${before})`);
  });
  it('failures without a latency (0 ms) back off and never poison the limit into NaN', () => {
    const l = createConcurrencyLimiter({ initialLimit: 32, minLimit: 4, minRttIntervalMs: 0 });
    drive(l, 0, 2_000, 100, 10);
    for (let t = 2_000; t < 4_000; t += 10) for (let i = 0; i < 5; i++) l.onSample(0, true, 10, t);
    assert.ok(Number.isInteger(l.limit()) && l.limit() >= 4 && l.limit() < 32, `limit ${l.limit()}`);
    for (let t = 4_000; t < 6_000; t += 10) for (let i = 0; i < 5; i++) l.onSample(0, false, 10, t);
    assert.ok(Number.isInteger(l.limit()), `limit ${l.limit()}`);
  });
  it('does not grow while the load stays below half the limit (app-limited)', () => {
    const l = createConcurrencyLimiter({ initialLimit: 50, minRttIntervalMs: 0 });
    for (let t = 0; t < 10_000; t += 10) for (let i = 0; i < 5; i++) l.onSample(10, false, 5, t);
    assert.equal(l.limit(), 50);
  });
  it('backs off on drops even at a good latency', () => {
    const l = createConcurrencyLimiter({ initialLimit: 100, minLimit: 4, minRttIntervalMs: 0 });
    drive(l, 0, 5_000, 1_000, 10, true);
    assert.equal(l.limit(), 4);
    assert.ok(l.stats().drops > 0);
  });
  it('re-measures minRTT periodically, pinned to the probe limit meanwhile', () => {
    const l = createConcurrencyLimiter({ initialLimit: 40, minLimit: 3, minRttIntervalMs: 5_000, probeSamples: 5 });
    assert.equal(l.stats().phase, 'probe'); // measures first
    assert.equal(l.limit(), 3);
    for (let i = 0; i < 5; i++) l.onSample(50, false, 3, i);
    assert.equal(l.stats().phase, 'normal');
    assert.equal(l.stats().minRttMs, 50);
    assert.equal(l.limit(), 40);
    // The origin became slower for good (100 ms when idle): without re-measurement the limit would sink.
    let t = 10;
    while (l.stats().phase === 'normal') {
      for (let i = 0; i < 4; i++) l.onSample(100, false, l.limit(), t);
      t += 10;
    }
    assert.ok(t >= 5_000 && t <= 5_200, `probe at ${t}`);
    assert.ok(l.stats().sampleRttMs === 100 && l.stats().minRttMs === 50);
    for (let i = 0; i < 5; i++) l.onSample(100, false, 2, t + i);
    assert.equal(l.stats().minRttMs, 100);
  });
  it('a probe ends after probeMaxMs even when in-flight never drains', () => {
    const l = createConcurrencyLimiter({ minRttIntervalMs: 1_000, probeMaxMs: 500 });
    l.onSample(10, false, 50, 0);
    l.onSample(10, false, 50, 499);
    assert.equal(l.stats().phase, 'probe');
    l.onSample(10, false, 50, 500);
    assert.equal(l.stats().phase, 'normal');
  });
  it('rejects impossible bounds', () => {
    assert.throws(() => createConcurrencyLimiter({ minLimit: 10, maxLimit: 5 }), { code: 'BULWARK_ERR_SHIELD_OPTIONS' });
    assert.throws(() => createConcurrencyLimiter({ algorithm: 'aimd', backoffRatio: 1.5 }), { code: 'BULWARK_ERR_SHIELD_OPTIONS' });
  });
});

describe('aimd limiter', () => {
  it('grows under good latency and shrinks on slow samples, within bounds', () => {
    const l = createConcurrencyLimiter({ algorithm: 'aimd', initialLimit: 10, minLimit: 2, maxLimit: 300, latencyThresholdMs: 60 });
    let t = drive(l, 0, 30_000, 100, 20);
    const healthy = l.limit();
    assert.ok(healthy >= 100 && healthy <= 300, `healthy ${healthy}`); // overshoots until latency > 60
    t = drive(l, t, 20_000, 20, 20);
    assert.ok(l.limit() <= 60, `degraded ${l.limit()}`);
    drive(l, t, 30_000, 100, 20);
    assert.ok(l.limit() >= 100, `recovered ${l.limit()}`);
  });
  it('decreases at most once per interval', () => {
    const l = createConcurrencyLimiter({ algorithm: 'aimd', initialLimit: 100, decreaseIntervalMs: 100 });
    for (let i = 0; i < 50; i++) l.onSample(10, true, 100, 0);
    assert.equal(l.limit(), 90);
    l.onSample(10, true, 100, 100);
    assert.equal(l.limit(), 81);
  });
});

describe('both limiters', () => {
  for (const algorithm of ['gradient', 'aimd'] as const) {
    it(`${algorithm}: any sample sequence keeps the limit an integer within [min, max]`, () => {
      const sample = fc.record({ latency: fc.double({ min: 0, max: 10_000, noNaN: true }), drop: fc.boolean(), inflight: fc.nat(2_000), dt: fc.nat(300) });
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 200 }), fc.array(sample, { maxLength: 400 }), (min, span, samples) => {
          const l = createConcurrencyLimiter({ algorithm, minLimit: min, maxLimit: min + span, minRttIntervalMs: 1_000 } as never);
          let t = 0;
          for (const s of samples) {
            t += s.dt;
            l.onSample(s.latency, s.drop, s.inflight, t);
            const v = l.limit();
            assert.ok(Number.isInteger(v) && v >= min && v <= min + span, `${v} outside [${min}, ${min + span}]`);
          }
        }),
      );
    });
  }
});

describe('overload answers as congestion', () => {
  /**
   * An origin with a hard capacity that refuses the excess at once (a fast 503) and never slows down:
   * latency alone says "all is well". Returns the refusals the origin had to make.
   */
  function refusingOrigin(l: ConcurrencyLimiter, ms: number, capacity: number, serviceMs: number): { first: number; refusals: number; over: number } {
    let refusals = 0;
    let over = 0;
    let first = 0;
    for (let t = 0; t < ms; t += 10) {
      const L = l.limit();
      if (L > capacity) over++;
      const excess = Math.max(0, L - capacity);
      // The model refuses a window's whole overshoot at once (a real origin refuses one request at a
      // time, and the first refusal stops the rest): the first overshoot is counted apart.
      if (excess > 0 && refusals === 0) first = excess;
      for (let i = 0; i < excess; i++) {
        refusals++;
        l.onSample(1, true, capacity + 1 + i, t);
      }
      const done = Math.max(1, Math.round((Math.min(L, capacity) * 10) / serviceMs));
      for (let i = 0; i < done; i++) l.onSample(serviceMs, false, Math.min(L, capacity), t);
    }
    return { first, refusals: refusals - first, over };
  }
  for (const algorithm of ['gradient', 'aimd'] as const) {
    it(`${algorithm}: an origin refusing beyond its capacity without slowing down is not pushed past it again`, () => {
      const l = createConcurrencyLimiter({ algorithm, initialLimit: 32, minLimit: 4, maxLimit: 1_000, minRttIntervalMs: 0 } as never);
      const { first, refusals, over } = refusingOrigin(l, 60_000, 64, 10);
      // Once the capacity was found, never again above it.
      assert.ok(first >= 1, 'the limiter did reach the capacity');
      assert.equal(refusals, 0, `${refusals} refusals after the first overshoot of ${first}`);
      assert.ok(over <= 1, `above capacity in ${over} of 6000 steps`);
      assert.ok(l.limit() >= 56 && l.limit() <= 64, `settled at ${l.limit()}`);
      assert.ok(l.stats().ceiling <= 64);
    });
  }
  it('the ceiling is forgotten after a calm minute, and drops never count as latency samples', () => {
    const l = createConcurrencyLimiter({ initialLimit: 50, minLimit: 2, maxLimit: 500, minRttIntervalMs: 0, ceilingForgetMs: 60_000 });
    for (let t = 0; t < 1_000; t += 10) for (let i = 0; i < 5; i++) l.onSample(40, false, 25, t);
    l.onSample(1, true, 21, 1_000);
    assert.equal(l.stats().ceiling, 20);
    assert.equal(l.limit(), 20);
    for (let t = 1_010; t < 2_000; t += 10) for (let i = 0; i < 5; i++) l.onSample(1, true, 10, t);
    assert.equal(l.stats().sampleRttMs, 40, 'the 1 ms refusals did not become the RTT');
    for (let t = 2_000; t < 70_000; t += 10) for (let i = 0; i < 5; i++) l.onSample(40, false, 5, t);
    assert.equal(l.stats().ceiling, Infinity);
  });
});

describe('tolerated latency', () => {
  it('a fast origin whose latency rises for other reasons keeps its limit; beyond the tolerance it shrinks', () => {
    const opts = { initialLimit: 64, minLimit: 4, maxLimit: 500, minRttIntervalMs: 0, minRttDrift: 0, buffer: 1 };
    const busyHost = (l: ConcurrencyLimiter, latency: number) => {
      for (let t = 0; t < 1_000; t += 10) for (let i = 0; i < 5; i++) l.onSample(10, false, 40, t); // minRTT 10 ms
      for (let t = 1_000; t < 11_000; t += 10) for (let i = 0; i < 5; i++) l.onSample(latency, false, 40, t);
      return l.limit();
    };
    assert.ok(busyHost(createConcurrencyLimiter({ ...opts, toleratedLatencyMs: 250 }), 60) >= 64, 'answers in 60 ms: the limit stays');
    assert.equal(busyHost(createConcurrencyLimiter(opts), 60), 4, 'without a tolerance it sinks to the floor');
    assert.equal(busyHost(createConcurrencyLimiter({ ...opts, toleratedLatencyMs: 250 }), 400), 4, 'beyond the tolerance it protects the origin');
  });
});
