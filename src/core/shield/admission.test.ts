import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PRIORITY_CLEARED, PRIORITY_RETURNING, PRIORITY_SUSPICIOUS, PRIORITY_UNKNOWN, type Priority } from '../vocabulary.ts';
import { createAdmission, type ClientKey, type Ticket, type WaitResult } from './admission.ts';
import { createConcurrencyLimiter, type ConcurrencyLimiter } from './concurrency-limit.ts';

const flush = () => new Promise<void>((r) => setImmediate(r));

/** A limiter whose limit the test sets. */
function fixedLimiter(initial: number): ConcurrencyLimiter & { set(n: number): void } {
  let limit = initial;
  return {
    limit: () => limit,
    onSample: () => {},
    set: (n) => (limit = n),
    stats: () => ({ algorithm: 'aimd', limit, minLimit: 0, maxLimit: 0, minRttMs: 0, sampleRttMs: 0, phase: 'normal', updates: 0, drops: 0, ceiling: Infinity }),
  };
}

const key = (n: number): ClientKey => ({ address: `10.0.${n}.1`, prefix: `10.0.${n}.0/24` });
const NAT: ClientKey = { address: '198.51.100.7', prefix: '198.51.100.0/24' };

function ticketOf(r: ReturnType<ReturnType<typeof createAdmission>['tryAcquire']>): Ticket {
  assert.equal(r.status, 'queued');
  return (r as { ticket: Ticket }).ticket;
}

describe('admission', () => {
  it('admits up to the limit, then queues by priority and admits on release', async () => {
    const a = createAdmission({ limiter: fixedLimiter(2) });
    assert.equal(a.tryAcquire(PRIORITY_UNKNOWN, key(1), 0).status, 'admitted');
    assert.equal(a.tryAcquire(PRIORITY_UNKNOWN, key(1), 0).status, 'admitted');
    const s = ticketOf(a.tryAcquire(PRIORITY_SUSPICIOUS, key(2), 1));
    const u = ticketOf(a.tryAcquire(PRIORITY_UNKNOWN, key(3), 2));
    const r = ticketOf(a.tryAcquire(PRIORITY_RETURNING, key(4), 2));
    const c = ticketOf(a.tryAcquire(PRIORITY_CLEARED, key(5), 3));
    assert.deepEqual(a.stats().queued, [1, 1, 1, 1]);
    const order: string[] = [];
    for (const [name, t] of [['s', s], ['u', u], ['r', r], ['c', c]] as const) void t.result.then((x) => order.push(`${name}:${x.status}`));
    a.release(key(1), 'success', 10, 10);
    await flush();
    assert.deepEqual(order, ['c:admitted']);
    assert.deepEqual(await c.result, { status: 'admitted', waitedMs: 7 });
    a.release(key(1), 'success', 10, 11);
    a.release(key(5), 'success', 10, 12);
    await flush();
    assert.deepEqual(order, ['c:admitted', 'r:admitted', 'u:admitted']);
    a.release(key(4), 'success', 10, 13);
    await flush();
    assert.deepEqual(order, ['c:admitted', 'r:admitted', 'u:admitted', 's:admitted']);
    assert.equal(a.stats().inflight, 2);
  });

  it('one address (a NAT) takes every free slot: nobody is refused for sharing an address', () => {
    const a = createAdmission({ limiter: fixedLimiter(1000), perClientShare: 8 });
    for (let i = 0; i < 1000; i++) assert.equal(a.tryAcquire(PRIORITY_UNKNOWN, NAT, i).status, 'admitted', `request ${i}`);
    assert.deepEqual([a.stats().inflight, a.stats().inflightClients, a.stats().rejected], [1000, 1, 0]);
  });

  it('under contention a client over its share lets the others go first, and is served when alone', async () => {
    const a = createAdmission({ limiter: fixedLimiter(4), perClientShare: 2 });
    for (let i = 0; i < 4; i++) a.tryAcquire(PRIORITY_UNKNOWN, NAT, 0); // the NAT holds all 4 slots
    const nat = ticketOf(a.tryAcquire(PRIORITY_UNKNOWN, NAT, 1));
    const other = ticketOf(a.tryAcquire(PRIORITY_UNKNOWN, key(9), 2));
    const order: string[] = [];
    void nat.result.then(() => order.push('nat'));
    void other.result.then(() => order.push('other'));
    a.release(NAT, 'success', 5, 3);
    await flush();
    assert.deepEqual(order, ['other'], 'the NAT holds 3 ≥ its share 2: the other client goes first although it came later');
    a.release(NAT, 'success', 5, 4);
    await flush();
    assert.deepEqual(order, ['other', 'nat']);
    assert.ok(a.stats().fairSkips >= 1);
  });

  it('when the limit shrinks, in-flight requests drain before new admissions', async () => {
    const l = fixedLimiter(3);
    const a = createAdmission({ limiter: l });
    for (let i = 0; i < 3; i++) a.tryAcquire(PRIORITY_CLEARED, key(1), 0);
    l.set(1);
    const t = ticketOf(a.tryAcquire(PRIORITY_CLEARED, key(2), 0));
    let admitted = false;
    void t.result.then(() => (admitted = true));
    a.release(key(1), 'success', 1, 1);
    a.release(key(1), 'success', 1, 1);
    await flush();
    assert.equal(admitted, false);
    a.release(key(1), 'success', 1, 1);
    await flush();
    assert.equal(admitted, true);
    assert.equal(a.stats().inflight, 1);
  });

  it('expired waiters are shed; evicted and cancelled ones too; rejected when full', async () => {
    const a = createAdmission({ limiter: fixedLimiter(1), maxWaitMs: 100, maxTotal: 2 });
    a.tryAcquire(PRIORITY_CLEARED, key(1), 0);
    const s = ticketOf(a.tryAcquire(PRIORITY_SUSPICIOUS, key(2), 0));
    const u = ticketOf(a.tryAcquire(PRIORITY_UNKNOWN, key(3), 10));
    const c = ticketOf(a.tryAcquire(PRIORITY_CLEARED, key(4), 20)); // evicts s
    assert.deepEqual(await s.result, { status: 'shed', reason: 'evicted' });
    assert.deepEqual(a.tryAcquire(PRIORITY_SUSPICIOUS, key(5), 20), { status: 'rejected', reason: 'queue_full' });
    assert.equal(a.cancel(u), true);
    assert.deepEqual(await u.result, { status: 'shed', reason: 'cancelled' });
    assert.equal(a.nextDeadlineMs(), 120);
    assert.equal(a.expire(119), 0);
    assert.equal(a.expire(120), 1);
    assert.deepEqual(await c.result, { status: 'shed', reason: 'timeout' });
    assert.equal(a.cancel(c), false);
    const st = a.stats();
    assert.deepEqual([st.shedEvicted, st.cancelled, st.shedTimeout, st.rejected, st.inflight], [1, 1, 1, 1, 1]);
  });

  it('counts and ignores releases without admissions (or for a client that holds nothing)', () => {
    const a = createAdmission({ limiter: fixedLimiter(2) });
    a.release(key(1), 'success', 1, 0);
    a.tryAcquire(PRIORITY_UNKNOWN, key(1), 0);
    a.release(key(2), 'success', 1, 0);
    assert.equal(a.stats().unbalancedReleases, 2);
    assert.equal(a.stats().inflight, 1);
    a.release(key(1), 'success', 1, 0);
    assert.deepEqual([a.stats().inflight, a.stats().inflightClients, a.stats().inflightPrefixes], [0, 0, 0]);
  });

  it('feeds the limiter: drops shrink the limit', () => {
    const a = createAdmission({ limiter: createConcurrencyLimiter({ algorithm: 'aimd', initialLimit: 10 }) });
    for (let t = 0; t < 1_000; t += 100) {
      assert.equal(a.tryAcquire(PRIORITY_CLEARED, key(1), t).status, 'admitted');
      a.release(key(1), 'dropped', 5_000, t);
    }
    assert.equal(a.stats().limit, 4);
  });
});

type Op =
  | { kind: 'acquire'; priority: Priority; client: number }
  | { kind: 'release'; pick: number; outcome: 'success' | 'dropped' | 'ignored'; latency: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'lower'; to: number };

/** Clients 0..5: 0 and 1 share an address (a NAT), 2 and 3 share a prefix, 4 and 5 alone. */
const CLIENTS: readonly ClientKey[] = [
  { address: '198.51.100.7', prefix: '198.51.100.0/24' },
  { address: '198.51.100.7', prefix: '198.51.100.0/24' },
  { address: '203.0.113.1', prefix: '203.0.113.0/24' },
  { address: '203.0.113.2', prefix: '203.0.113.0/24' },
  { address: '192.0.2.1', prefix: '192.0.2.0/24' },
  { address: '2001:db8::1', prefix: '2001:db8::/64' },
];

const opArb = (priorities: readonly Priority[]): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('acquire' as const), priority: fc.constantFrom(...priorities), client: fc.integer({ min: 0, max: CLIENTS.length - 1 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat(), outcome: fc.constantFrom('success' as const, 'dropped' as const, 'ignored' as const), latency: fc.integer({ min: 1, max: 3_000 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 400 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('lower' as const), to: fc.integer({ min: 1, max: 6 }) }) },
  );

interface Harness {
  readonly a: ReturnType<typeof createAdmission>;
  readonly limiter: ConcurrencyLimiter;
  /** Slots held, by client index, as the caller sees them. */
  readonly held: number[];
  readonly pending: Array<{ priority: Priority; client: number; seq: number; ticket: Ticket }>;
  admittedLog: Array<{ priority: Priority; client: number; seq: number }>;
  readonly rejectedWhileFree: number[];
}

/** Runs one op against the admission, keeping the caller's view (held slots, pending tickets). */
async function step(h: Harness, op: Op, now: { ms: number; seq: number }, fixed: ReturnType<typeof fixedLimiter> | null): Promise<void> {
  const { a } = h;
  if (op.kind === 'acquire') {
    const before = a.stats();
    const free = before.inflight < h.limiter.limit() && before.queued.every((n) => n === 0);
    const r = a.tryAcquire(op.priority, CLIENTS[op.client]!, now.ms);
    if (free && r.status !== 'admitted') h.rejectedWhileFree.push(op.client);
    if (r.status === 'admitted') h.held[op.client]!++;
    else if (r.status === 'queued') {
      const s = now.seq++;
      h.pending.push({ priority: op.priority, client: op.client, seq: s, ticket: r.ticket });
      void r.ticket.result.then((w: WaitResult) => {
        h.pending.splice(h.pending.findIndex((p) => p.seq === s), 1);
        if (w.status === 'admitted') {
          h.held[op.client]!++;
          h.admittedLog.push({ priority: op.priority, client: op.client, seq: s });
        }
      });
    }
  } else if (op.kind === 'release') {
    const holders = h.held.map((n, i) => (n > 0 ? i : -1)).filter((i) => i >= 0);
    if (holders.length > 0) {
      const i = holders[op.pick % holders.length]!;
      h.held[i]!--;
      a.release(CLIENTS[i]!, op.outcome, op.latency, now.ms);
    }
  } else if (op.kind === 'advance') {
    now.ms += op.ms;
    a.expire(now.ms);
  } else if (op.kind === 'cancel' && h.pending.length > 0) {
    a.cancel(h.pending[op.pick % h.pending.length]!.ticket);
  } else if (op.kind === 'lower' && fixed !== null) fixed.set(Math.min(fixed.limit(), op.to));
  await flush();
}

describe('admission properties', () => {
  for (const real of [false, true]) {
    it(`${real ? 'gradient' : 'fixed'} limiter: never above the limit; never sheds while capacity is free; strict priority`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb([0, 1, 2, 3]), { maxLength: 150 }), fc.integer({ min: 1, max: 8 }), async (ops, perClientShare) => {
          const fixed = real ? null : fixedLimiter(4);
          const limiter = fixed ?? createConcurrencyLimiter({ minLimit: 1, maxLimit: 8, initialLimit: 3, windowMs: 50, minWindowSamples: 2, minRttIntervalMs: 1_000, probeSamples: 3 });
          const a = createAdmission({ limiter, caps: [4, 4, 4, 4], maxTotal: 8, maxWaitMs: 500, perClientShare });
          const h: Harness = { a, limiter, held: CLIENTS.map(() => 0), pending: [], admittedLog: [], rejectedWhileFree: [] };
          const now = { ms: 0, seq: 0 };
          for (const op of ops) {
            const admittedBefore = a.stats().admitted;
            h.admittedLog = [];
            await step(h, op, now, fixed);
            const st = a.stats();
            if (st.admitted > admittedBefore) assert.ok(st.inflight <= limiter.limit(), `inflight ${st.inflight} > limit ${limiter.limit()}`);
            assert.equal(st.inflight, h.held.reduce((x, y) => x + y, 0), 'the caller and the admission agree on slots held');
            // Work-conserving: nobody waits while a slot is free, and an arrival finding a free slot and an
            // empty queue is admitted whoever it is (however many slots its address holds).
            if (h.pending.length > 0) assert.ok(st.inflight >= limiter.limit(), `someone waits with ${st.inflight} of ${limiter.limit()} in flight`);
            assert.deepEqual(h.rejectedWhileFree, []);
            // Strict priority: nobody is admitted while a better-priority waiter is left waiting.
            for (const done of h.admittedLog) for (const w of h.pending) assert.ok(!(w.priority < done.priority), 'skipped a better priority');
            assert.equal(st.unbalancedReleases, 0);
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it('fairness: two prefixes waiting at the same time get turns that differ by at most one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb([2]), { maxLength: 200 }), async (ops) => {
        // A share so large nobody is passed over: the round robin alone.
        const fixed = fixedLimiter(3);
        const a = createAdmission({ limiter: fixed, caps: [20, 20, 20, 20], maxTotal: 20, maxWaitMs: 10_000, perClientShare: 1000 });
        const h: Harness = { a, limiter: fixed, held: CLIENTS.map(() => 0), pending: [], admittedLog: [], rejectedWhileFree: [] };
        const now = { ms: 0, seq: 0 };
        const prefixes = [...new Set(CLIENTS.map((c) => c.prefix))];
        // turns[i][j]: admissions of prefix i since prefixes i and j have both been waiting without a break.
        const turns = prefixes.map(() => prefixes.map(() => 0));
        const waiting = (p: string) => h.pending.some((w) => CLIENTS[w.client]!.prefix === p);
        for (const op of ops) {
          const before = prefixes.map(waiting);
          h.admittedLog = [];
          await step(h, op.kind === 'lower' ? { kind: 'advance', ms: 1 } : op, now, fixed);
          for (const done of h.admittedLog) {
            const i = prefixes.indexOf(CLIENTS[done.client]!.prefix);
            for (let j = 0; j < prefixes.length; j++) if (before[j]) turns[i]![j]!++;
          }
          const after = prefixes.map(waiting);
          for (let i = 0; i < prefixes.length; i++) {
            for (let j = 0; j < prefixes.length; j++) {
              if (!(before[i] && before[j] && after[i] && after[j])) turns[i]![j] = turns[j]![i] = 0;
              else assert.ok(Math.abs(turns[i]![j]! - turns[j]![i]!) <= 1, `prefix ${prefixes[i]} got ${turns[i]![j]} turns while ${prefixes[j]} got ${turns[j]![i]}`);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('fairness: a flood from one address cannot starve a visitor from another', () => {
    const fixed = fixedLimiter(10);
    const a = createAdmission({ limiter: fixed, maxTotal: 1000, caps: [1000, 1000, 1000, 1000], maxWaitMs: 60_000 });
    const flood = key(1);
    const visitor = key(2);
    let floodAdmitted = 0;
    let visitorAdmitted = 0;
    for (let i = 0; i < 10; i++) a.tryAcquire(PRIORITY_UNKNOWN, flood, 0);
    for (let i = 0; i < 500; i++) void ticketOf(a.tryAcquire(PRIORITY_UNKNOWN, flood, 1)).result.then((r) => r.status === 'admitted' && floodAdmitted++);
    const v = ticketOf(a.tryAcquire(PRIORITY_UNKNOWN, visitor, 2));
    let visitorAt = -1;
    void v.result.then(() => (visitorAt = floodAdmitted));
    a.release(flood, 'success', 5, 3);
    a.release(flood, 'success', 5, 3);
    return flush().then(() => {
      assert.ok(visitorAt >= 0 && visitorAt <= 1, `the visitor waited behind ${visitorAt} of the flood's 500 queued requests`);
      visitorAdmitted++;
      assert.equal(visitorAdmitted, 1);
    });
  });
});
