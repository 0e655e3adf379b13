import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFairQueue, type ClientKey } from './fair-queue.ts';

const client = (address: string, prefix = address.replace(/\.\d+$/, '.0/24')): ClientKey => ({ address, prefix });

describe('fair queue', () => {
  it('serves lower priorities first', () => {
    const q = createFairQueue<string>();
    q.push(3, client('10.0.3.1'), 's1', 0);
    q.push(2, client('10.0.2.1'), 'u1', 0);
    q.push(0, client('10.0.0.1'), 'c1', 0);
    q.push(1, client('10.0.1.1'), 'r1', 0);
    q.push(2, client('10.0.2.1'), 'u2', 0);
    assert.deepEqual([1, 2, 3, 4, 5].map(() => q.shift()?.value), ['c1', 'r1', 'u1', 'u2', 's1']);
    assert.equal(q.shift(), undefined);
  });

  it('within a priority, turns go round robin between prefixes, then addresses; oldest first per address', () => {
    const q = createFairQueue<string>();
    // A flood from one /24 (two addresses) arrives first, then one visitor in another /24.
    for (let i = 0; i < 4; i++) q.push(2, client('10.1.1.1'), `a1-${i}`, i);
    for (let i = 0; i < 2; i++) q.push(2, client('10.1.1.2'), `a2-${i}`, 10 + i);
    q.push(2, client('10.9.9.9'), 'visitor', 20);
    const order = Array.from({ length: 7 }, () => q.shift()!.value);
    assert.deepEqual(order, ['a1-0', 'visitor', 'a2-0', 'a1-1', 'a2-1', 'a1-2', 'a1-3']);
  });

  it('a newcomer joins at the end of the current round', () => {
    const q = createFairQueue<string>();
    q.push(2, client('10.1.0.1'), 'a', 0);
    q.push(2, client('10.2.0.1'), 'b', 0);
    q.push(2, client('10.1.0.1'), 'a2', 0);
    assert.equal(q.shift()!.value, 'a');
    q.push(2, client('10.3.0.1'), 'c', 1);
    assert.deepEqual([q.shift()!.value, q.shift()!.value, q.shift()!.value], ['b', 'a2', 'c']);
  });

  it('skip passes over clients that hold their share, but never leaves a waiter unserved', () => {
    const q = createFairQueue<string>({ scan: 4 });
    q.push(2, client('10.1.0.1'), 'heavy-1', 0);
    q.push(2, client('10.1.0.1'), 'heavy-2', 0);
    q.push(2, client('10.2.0.1'), 'light', 0);
    const heavy = (c: ClientKey) => c.address === '10.1.0.1';
    assert.equal(q.shift(heavy)!.value, 'light');
    assert.equal(q.shift(heavy)!.value, 'heavy-1', 'only the heavy client waits: it is served (work-conserving)');
    assert.equal(q.shift(() => true)!.value, 'heavy-2');
  });

  it('when full, the longest line of a lower priority makes room; within a priority only for a shorter line', () => {
    const q = createFairQueue<string>({ maxTotal: 4 });
    for (let i = 0; i < 3; i++) q.push(2, client('10.1.0.1'), `flood-${i}`, 0);
    q.push(2, client('10.2.0.1'), 'v1', 0);
    // Same priority: the visitor's line (1) is shorter than the flood's (3): the flood's newest goes.
    const r1 = q.push(2, client('10.3.0.1'), 'v2', 1);
    assert.ok(r1.ok && r1.evicted?.value === 'flood-2');
    // The flood's own arrival: its line is the longest, nothing shorter to push out.
    assert.deepEqual(q.push(2, client('10.1.0.1'), 'flood-3', 1), { ok: false, reason: 'queue_full' });
    // A cleared visitor pushes out the longest unknown line's newest.
    const r2 = q.push(0, client('10.4.0.1'), 'cleared', 2);
    assert.ok(r2.ok && r2.evicted?.value === 'flood-1');
    assert.equal(q.size(), 4);
  });

  it('a full priority refuses unless the arrival has a shorter line than its longest', () => {
    const q = createFairQueue<string>({ caps: [1, 1, 2, 0] });
    assert.ok(q.push(0, client('10.0.0.1'), 'a', 0).ok);
    assert.deepEqual(q.push(0, client('10.0.0.1'), 'b', 0), { ok: false, reason: 'priority_full' });
    assert.deepEqual(q.push(3, client('10.0.0.1'), 'c', 0), { ok: false, reason: 'priority_full' });
    q.push(2, client('10.1.0.1'), 'u1', 0);
    q.push(2, client('10.1.0.1'), 'u2', 0);
    const r = q.push(2, client('10.2.0.1'), 'u3', 0);
    assert.ok(r.ok && r.evicted?.value === 'u2');
  });

  it('expires per-priority deadlines in arrival order; removes cancelled waiters; counts flows', () => {
    const q = createFairQueue<string>({ maxWaitMs: [300, 300, 200, 100] });
    const a = q.push(0, client('10.0.0.1'), 'a', 0);
    q.push(3, client('10.3.0.1'), 's', 0);
    q.push(2, client('10.2.0.1'), 'u', 50);
    q.push(2, client('10.2.0.2'), 'u2', 60);
    assert.equal(q.flows(), 4);
    assert.equal(q.nextDeadlineMs(), 100);
    assert.deepEqual(q.expire(100).map((n) => n.value), ['s']);
    assert.deepEqual(q.expire(255).map((n) => n.value), ['u']);
    assert.ok(a.ok && q.remove(a.node));
    assert.equal(a.ok && q.remove(a.node), false);
    assert.equal(q.size(), 1);
    assert.equal(q.flows(), 1);
    assert.equal(q.shift()!.value, 'u2');
    assert.equal(q.size(), 0);
    assert.equal(q.flows(), 0);
    assert.equal(q.nextDeadlineMs(), undefined);
  });

  it('IPv6 rotation inside one /64 is one line among others', () => {
    const q = createFairQueue<string>();
    for (let i = 0; i < 50; i++) q.push(2, { address: `2001:db8::${i.toString(16)}`, prefix: '2001:db8::/64' }, `rot-${i}`, 0);
    q.push(2, client('192.0.2.7'), 'visitor', 1);
    assert.deepEqual([q.shift()!.value, q.shift()!.value], ['rot-0', 'visitor']);
  });
});
