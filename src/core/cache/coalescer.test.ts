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
});
