import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCoalescer, type Flight } from './coalescer.ts';

const T0 = 1_000_000;

function leader<T>(j: ReturnType<ReturnType<typeof createCoalescer<T>>['join']>): Flight {
  assert.equal(j.role, 'leader');
  return (j as { flight: Flight }).flight;
}
function waiter<T>(j: ReturnType<ReturnType<typeof createCoalescer<T>>['join']>) {
  assert.equal(j.role, 'waiter');
  return j as Extract<typeof j, { role: 'waiter' }>;
}

describe('coalescer', () => {
  it('the first caller leads, the others get its result', async () => {
    const co = createCoalescer<string>();
    const f = leader(co.join('k', T0, T0 + 100));
    const ws = [waiter(co.join('k', T0, T0 + 100)), waiter(co.join('k', T0 + 1, T0 + 101))];
    assert.equal(co.stats().waiters, 2);
    assert.equal(co.resolve(f, 'page'), 2);
    for (const w of ws) assert.deepEqual(await w.result, { ok: true, value: 'page' });
    assert.deepEqual([co.stats().keys, co.stats().waiters, co.stats().coalesced], [0, 0, 2]);
    leader(co.join('k', T0 + 2, T0 + 102)); // a new flight after the first ended
  });
  it('a failed or unshareable leader releases the waiters empty-handed', async () => {
    const co = createCoalescer<string>();
    const f = leader(co.join('k', T0, T0 + 100));
    const w = waiter(co.join('k', T0, T0 + 100));
    co.fail(f, 'not_shareable');
    assert.deepEqual(await w.result, { ok: false, reason: 'not_shareable' });
    const g = leader(co.join('k', T0, T0 + 100));
    const w2 = waiter(co.join('k', T0, T0 + 100));
    co.fail(g);
    assert.deepEqual(await w2.result, { ok: false, reason: 'leader_failed' });
  });
  it('expire times out waiters past their deadline only', async () => {
    const co = createCoalescer<string>();
    const f = leader(co.join('k', T0, T0 + 100));
    const early = waiter(co.join('k', T0, T0 + 50));
    const late = waiter(co.join('k', T0, T0 + 200));
    assert.equal(co.nextDeadlineMs(), T0 + 50);
    assert.equal(co.expire(T0 + 49), 0);
    assert.equal(co.expire(T0 + 50), 1);
    assert.deepEqual(await early.result, { ok: false, reason: 'timeout' });
    assert.equal(co.nextDeadlineMs(), T0 + 200);
    co.resolve(f, 'v');
    assert.deepEqual(await late.result, { ok: true, value: 'v' });
    assert.equal(co.stats().timeouts, 1);
  });
  it('caps waiters per key and keys in flight', () => {
    const co = createCoalescer<string>({ maxKeys: 2, maxWaitersPerKey: 1 });
    leader(co.join('a', T0, T0 + 1));
    waiter(co.join('a', T0, T0 + 1));
    assert.deepEqual(co.join('a', T0, T0 + 1), { role: 'refused', reason: 'too_many_waiters' });
    leader(co.join('b', T0, T0 + 1));
    assert.deepEqual(co.join('c', T0, T0 + 1), { role: 'refused', reason: 'too_many_keys' });
    assert.equal(co.stats().refused, 2);
  });
  it('a cancelled waiter is not counted and not settled', async () => {
    const co = createCoalescer<string>({ maxWaitersPerKey: 1 });
    const f = leader(co.join('k', T0, T0 + 100));
    const w = waiter(co.join('k', T0, T0 + 100));
    w.cancel();
    assert.equal(co.stats().waiters, 0);
    waiter(co.join('k', T0, T0 + 100)); // its slot is free again
    assert.equal(co.resolve(f, 'v'), 1);
  });
  it('abandons flights whose leader never reports; a late resolve is ignored', async () => {
    const co = createCoalescer<string>({ maxFlightMs: 1_000 });
    const f = leader(co.join('k', T0, T0 + 5_000));
    const w = waiter(co.join('k', T0, T0 + 5_000));
    assert.equal(co.expire(T0 + 1_000), 1);
    assert.deepEqual(await w.result, { ok: false, reason: 'abandoned' });
    const g = leader(co.join('k', T0 + 1_001, T0 + 2_000));
    assert.equal(co.resolve(f, 'late'), 0);
    assert.equal(co.stats().keys, 1);
    co.resolve(g, 'v');
    assert.equal(co.stats().keys, 0);
  });
  it('a key marked unshareable is not coalesced for unshareableMs: joins answer alone, nobody waits', () => {
    const co = createCoalescer<string>({ unshareableMs: 1_000 });
    const f = leader(co.join('k', T0, T0 + 100));
    co.fail(f, 'not_shareable');
    co.markUnshareable('k', T0);
    assert.deepEqual(co.join('k', T0 + 10, T0 + 110), { role: 'alone' });
    assert.deepEqual(co.join('k', T0 + 999, T0 + 1_099), { role: 'alone' });
    assert.deepEqual([co.stats().keys, co.stats().waiters, co.stats().alone, co.stats().unshareable], [0, 0, 2, 1]);
    leader(co.join('other', T0 + 10, T0 + 110)); // other keys are coalesced as before
    // Lapsed: coalesced again.
    const g = leader(co.join('k', T0 + 1_000, T0 + 1_100));
    waiter(co.join('k', T0 + 1_000, T0 + 1_100));
    co.fail(g, 'leader_failed');
  });
  it('a shareable answer forgets the mark; a new mark refreshes the old one', () => {
    const co = createCoalescer<string>({ unshareableMs: 1_000 });
    co.markUnshareable('k', T0);
    co.markShareable('k');
    leader(co.join('k', T0 + 1, T0 + 100));
    co.markUnshareable('j', T0);
    co.markUnshareable('j', T0 + 400); // less than half its age old: left as it was
    co.fail(leader(co.join('j', T0 + 1_000, T0 + 1_100)), 'not_shareable');
    co.markUnshareable('j', T0 + 1_100);
    co.markUnshareable('j', T0 + 1_700); // older than half: refreshed
    assert.deepEqual(co.join('j', T0 + 2_500, T0 + 2_600), { role: 'alone' });
  });
  it('marks are capped (oldest evicted first) and swept by expire once lapsed', () => {
    const co = createCoalescer<string>({ unshareableMs: 1_000, maxUnshareable: 3 });
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) co.markUnshareable(key, T0 + i);
    assert.deepEqual([co.stats().unshareable, co.stats().maxUnshareable], [3, 3]);
    leader(co.join('a', T0 + 5, T0 + 100)); // evicted: coalesced again
    for (const key of ['b', 'c', 'd']) assert.deepEqual(co.join(key, T0 + 5, T0 + 100), { role: 'alone' });
    co.expire(T0 + 1_002); // b (T0 + 1) and c (T0 + 2) lapsed, d (T0 + 3) not yet
    assert.equal(co.stats().unshareable, 1);
    co.expire(T0 + 1_003);
    assert.equal(co.stats().unshareable, 0);
  });
});
