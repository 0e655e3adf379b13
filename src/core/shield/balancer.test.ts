import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBalancer, type Pick } from './balancer.ts';

const ORIGINS = ['a', 'b', 'c'];

function tally(picks: Array<Pick | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of picks) if (p) out[p.id] = (out[p.id] ?? 0) + 1;
  return out;
}

describe('balancer', () => {
  it('round robin spreads evenly and skips origins that are down', () => {
    const b = createBalancer({ origins: ORIGINS });
    const first = Array.from({ length: 9 }, () => b.pick(0));
    assert.deepEqual(first.map((p) => p?.id).join(''), 'abcabcabc');
    for (const p of first) b.done(p!, 'success', 0);
    for (let i = 0; i < 3; i++) b.reportCheck('b', false, 0);
    const picks = Array.from({ length: 10 }, () => b.pick(1));
    assert.deepEqual(tally(picks), { a: 5, c: 5 });
    for (let i = 0; i < 2; i++) b.reportCheck('b', true, 2);
    assert.equal(b.stats(2)[1].health, 'up');
  });
  it('least pending prefers the least busy origin, rotating ties', () => {
    const b = createBalancer({ origins: ORIGINS, strategy: 'least_pending' });
    const rotation = Array.from({ length: 6 }, () => {
      const p = b.pick(0)!;
      b.done(p, 'success', 0);
      return p.id;
    });
    assert.deepEqual(tally(rotation.map((id) => ({ id, index: 0, pass: 'allow' }))), { a: 2, b: 2, c: 2 });
    const held = Array.from({ length: 6 }, () => b.pick(0)!);
    assert.deepEqual(b.stats(0).map((s) => s.pending), [2, 2, 2]);
    for (const p of held.filter((h) => h.id === 'b')) b.done(p, 'success', 0);
    assert.deepEqual([b.pick(0)!.id, b.pick(0)!.id], ['b', 'b']);
    assert.deepEqual(b.stats(0).map((s) => s.pending), [2, 2, 2]);
  });
  it('an open breaker takes an origin out; half-open lets one probe through', () => {
    const b = createBalancer({ origins: ['a', 'b'], breaker: { failureThreshold: 2, coolDownMs: 1_000 }, passiveFailures: 100 });
    for (let i = 0; i < 2; i++) {
      const p = b.pick(0)!;
      b.done(p, p.id === 'a' ? 'timeout' : 'success', 0);
      b.pick(0); // b, kept pending
    }
    assert.equal(b.stats(0)[0].breaker, 'open');
    assert.deepEqual(tally(Array.from({ length: 4 }, () => b.pick(500))), { b: 4 });
    const probe = Array.from({ length: 4 }, () => b.pick(1_000)).find((p) => p?.id === 'a');
    assert.equal(probe?.pass, 'probe');
    b.done(probe!, 'success', 1_001);
    assert.equal(b.stats(1_001)[0].breaker, 'closed');
  });
  it('passive health ejects after N failures, for a growing time, and recovers', () => {
    const b = createBalancer({ origins: ['a', 'b'], passiveFailures: 3, ejectMs: 1_000, maxEjectMs: 4_000, breaker: { failureThreshold: 1_000, failureRatio: 1.01 } });
    const failA = (t: number) => {
      for (let n = 0; n < 3; ) {
        const p = b.pick(t)!;
        b.done(p, p.id === 'a' ? 'http_5xx' : 'success', t);
        if (p.id === 'a') n++;
      }
    };
    failA(0);
    assert.equal(b.stats(0)[0].ejectedUntilMs, 1_000);
    assert.deepEqual(tally(Array.from({ length: 4 }, () => b.pick(999))), { b: 4 });
    failA(1_000);
    assert.equal(b.stats(1_000)[0].ejectedUntilMs, 3_000); // doubled
    assert.equal(b.pick(3_000, new Set(['b']))?.id, 'a');
    assert.equal(b.stats(3_000)[0].ejections, 2);
  });
  it('failover returns the next candidate and none once all were tried', () => {
    const b = createBalancer({ origins: ORIGINS });
    const first = b.pick(0)!;
    const second = b.failover(first, 0)!;
    assert.notEqual(second.id, first.id);
    const third = b.failover(second, 0, new Set([first.id]))!;
    assert.equal(new Set([first.id, second.id, third.id]).size, 3);
    assert.equal(b.failover(third, 0, new Set([first.id, second.id])), undefined);
    assert.deepEqual(b.stats(0).map((s) => s.pending), [0, 0, 0]);
    assert.deepEqual(b.stats(0).map((s) => s.failures), [1, 1, 1]);
  });
  it('returns undefined when every origin is out', () => {
    const b = createBalancer({ origins: ['a'], health: { fall: 1 } });
    b.reportCheck('a', false, 0);
    assert.equal(b.pick(0), undefined);
  });
  it('rejects empty or duplicate origin lists', () => {
    assert.throws(() => createBalancer({ origins: [] }), { code: 'BULWARK_ERR_SHIELD_OPTIONS' });
    assert.throws(() => createBalancer({ origins: ['a', 'a'] }), { code: 'BULWARK_ERR_SHIELD_OPTIONS' });
  });
});
