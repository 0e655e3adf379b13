import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCircuitBreaker, type BreakerResult } from './circuit-breaker.ts';

describe('circuit breaker', () => {
  it('closed → open after N consecutive failures; a success resets the count', () => {
    const b = createCircuitBreaker({ failureThreshold: 3, failureRatio: 1.01 });
    const seq: Array<[BreakerResult, string]> = [
      ['failure', 'closed'], ['failure', 'closed'], ['success', 'closed'], ['failure', 'closed'],
      ['failure', 'closed'], ['ignored', 'closed'], ['failure', 'open'],
    ];
    seq.forEach(([r, want], i) => {
      b.record(r, 'allow', i);
      assert.equal(b.state(i), want, `step ${i}`);
    });
    assert.equal(b.stats().lastTransition?.reason, 'consecutive_failures');
    assert.equal(b.tryPass(7), 'deny');
  });
  it('opens on the failure ratio over the window', () => {
    const b = createCircuitBreaker({ failureThreshold: 100, failureRatio: 0.5, minRequests: 10, ratioWindowMs: 1_000 });
    for (let i = 0; i < 9; i++) b.record(i % 2 === 1 ? 'failure' : 'success', 'allow', i * 10); // 4 of 9 failed
    assert.equal(b.state(90), 'closed');
    b.record('success', 'allow', 100); // 4 of 10
    b.record('failure', 'allow', 110); // 5 of 11
    assert.equal(b.state(110), 'closed');
    b.record('failure', 'allow', 120); // 6 of 12: 0.5
    assert.equal(b.state(120), 'open');
    assert.equal(b.stats().lastTransition?.reason, 'failure_ratio');
  });
  it('old results leave the ratio window', () => {
    const b = createCircuitBreaker({ failureThreshold: 100, failureRatio: 0.5, minRequests: 4, ratioWindowMs: 1_000 });
    for (let i = 0; i < 3; i++) b.record('failure', 'allow', i);
    b.record('failure', 'allow', 5_000);
    assert.equal(b.state(5_000), 'closed');
  });
  it('half-open after the cool-down, bounded probes, closes on success', () => {
    const b = createCircuitBreaker({ failureThreshold: 1, coolDownMs: 1_000, halfOpenProbes: 2 });
    b.record('failure', 'allow', 0);
    assert.equal(b.tryPass(999), 'deny');
    assert.equal(b.tryPass(1_000), 'probe');
    assert.equal(b.state(1_000), 'half_open');
    assert.equal(b.tryPass(1_000), 'probe');
    assert.equal(b.tryPass(1_000), 'deny'); // two probes in flight
    b.record('success', 'allow', 1_001); // a straggler from before: not a probe, ignored
    assert.equal(b.state(1_001), 'half_open');
    b.record('success', 'probe', 1_002);
    assert.equal(b.state(1_002), 'closed');
    assert.equal(b.tryPass(1_003), 'allow');
  });
  it('a failed probe reopens with a growing cool-down, capped; closing resets it', () => {
    const b = createCircuitBreaker({ failureThreshold: 1, coolDownMs: 1_000, maxCoolDownMs: 3_000, coolDownMultiplier: 2 });
    b.record('failure', 'allow', 0);
    let t = 0;
    const cooldowns: number[] = [];
    for (let i = 0; i < 4; i++) {
      t = b.stats().retryAtMs;
      assert.equal(b.tryPass(t), 'probe');
      b.record('failure', 'probe', t);
      cooldowns.push(b.stats().coolDownMs);
    }
    assert.deepEqual(cooldowns, [2_000, 3_000, 3_000, 3_000]);
    t = b.stats().retryAtMs;
    b.tryPass(t);
    b.record('success', 'probe', t);
    assert.equal(b.stats().coolDownMs, 1_000);
    assert.equal(b.stats().opens, 5);
  });
  it('an ignored probe frees its slot without deciding', () => {
    const b = createCircuitBreaker({ failureThreshold: 1, coolDownMs: 10 });
    b.record('failure', 'allow', 0);
    assert.equal(b.tryPass(10), 'probe');
    b.record('ignored', 'probe', 11);
    assert.equal(b.state(11), 'half_open');
    assert.equal(b.tryPass(11), 'probe');
  });
});
