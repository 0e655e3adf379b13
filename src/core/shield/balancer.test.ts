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
  it('overload is not failure: one origin answering 503 at capacity is never ejected nor cut off by its breaker', () => {
    const b = createBalancer({ origins: ['only'], passiveFailures: 5, breaker: { failureThreshold: 5 } });
    for (let t = 0; t < 1_000; t++) {
      const p = b.pick(t);
      assert.ok(p !== undefined, `no origin at ${t}`);
      b.done(p, 'overloaded', t);
    }
    const s = b.stats(1_000)[0];
    assert.deepEqual([s.breaker, s.ejections, s.failures, s.overloads], ['closed', 0, 0, 1_000]);
  });
  it('a single origin that fails is not ejected by passive health (its breaker still opens)', () => {
    const b = createBalancer({ origins: ['only'], passiveFailures: 2, breaker: { failureThreshold: 1_000, failureRatio: 1.01 } });
    for (let t = 0; t < 10; t++) b.done(b.pick(t)!, 'http_5xx', t);
    assert.equal(b.stats(10)[0].ejections, 0);
    assert.ok(b.stats(10)[0].ejectionsPrevented > 0);
    assert.ok(b.pick(10) !== undefined);
  });
  it('ejections are capped to a share of the origins, and never take the last usable one', () => {
    const ids = ['a', 'b', 'c', 'd'];
    const b = createBalancer({ origins: ids, passiveFailures: 1, ejectMs: 10_000, breaker: { failureThreshold: 1_000, failureRatio: 1.01 } });
    for (let i = 0; i < 40; i++) b.done(b.pick(0)!, 'timeout', 0);
    const ejected = b.stats(0).filter((s) => !Number.isNaN(s.ejectedUntilMs)).length;
    assert.equal(ejected, 2, 'half of four origins at most');
    assert.ok(b.pick(0) !== undefined);
    const all = createBalancer({ origins: ['a', 'b'], passiveFailures: 1, maxEjectedShare: 1, breaker: { failureThreshold: 1_000, failureRatio: 1.01 } });
    for (let i = 0; i < 10; i++) all.done(all.pick(0)!, 'timeout', 0);
    assert.equal(all.stats(0).filter((s) => !Number.isNaN(s.ejectedUntilMs)).length, 1, 'the last usable origin stays');
  });
  it('an overloaded origin gets less work, not none', () => {
    const b = createBalancer({ origins: ['a', 'b'], overloadBackoffMs: 1_000 });
    const first = b.pick(0)!;
    assert.equal(first.id, 'a');
    b.done(first, 'overloaded', 0);
    assert.deepEqual(tally(Array.from({ length: 6 }, () => b.pick(10))), { b: 6 }, 'b first while a is overloaded');
    const lp = createBalancer({ origins: ['a', 'b'], strategy: 'least_pending' });
    lp.done(lp.pick(0)!, 'overloaded', 0);
    assert.equal(lp.pick(1)!.id, 'b');
    // Both overloaded: both still picked.
    b.done(b.pick(20, new Set(['a']))!, 'overloaded', 20);
    assert.deepEqual(Object.keys(tally(Array.from({ length: 4 }, () => b.pick(30)))).sort(), ['a', 'b']);
    // Half-open probe answered 503: the origin is alive, the breaker closes.
    const br = createBalancer({ origins: ['a'], breaker: { failureThreshold: 1, coolDownMs: 100 } });
    br.done(br.pick(0)!, 'timeout', 0);
    assert.equal(br.stats(0)[0].breaker, 'open');
    const probe = br.pick(100)!;
    assert.equal(probe.pass, 'probe');
    br.done(probe, 'overloaded', 101);
    assert.equal(br.stats(101)[0].breaker, 'closed');
  });
});
