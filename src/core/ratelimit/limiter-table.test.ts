import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileGcra, gcraNextTat } from './gcra.ts';
import { createLimiterTable } from './limiter-table.ts';
import { createSlotTable } from './slot-table.ts';

const T0 = 1_700_000_000_000;
const SLOW = compileGcra({ average: 1, period: 60_000, burst: 5 }); // 5 at once, then one a minute

/** Send `n` requests from `n` distinct flood keys at `nowMs`. */
function flood(table: ReturnType<typeof createLimiterTable>, tag: string, n: number, nowMs: number): void {
  for (let i = 0; i < n; i++) table.check(`limit:per-ip|${tag}-${i}`, SLOW, nowMs);
}

describe('createLimiterTable', () => {
  it('validates maxKeys and allocates everything up front', () => {
    for (const maxKeys of [0, -1, 1.5, 2 ** 27]) {
      assert.throws(() => createLimiterTable({ maxKeys, seed: 1 }), { code: 'BULWARK_ERR_RATELIMIT_TABLE' });
    }
    const t = createLimiterTable({ maxKeys: 1000, seed: 1 });
    assert.equal(t.capacity, 1000);
    assert.equal(t.bytes, 1000 * 16 + 1024 * 4 * 8);
    flood(t, 'x', 20_000, T0);
    assert.equal(t.stats().bytes, t.bytes);
  });

  it('peek decides like consume but records nothing', () => {
    const t = createLimiterTable({ maxKeys: 64, seed: 3 });
    for (let i = 0; i < 10; i++) assert.equal(t.check('k', SLOW, T0, 1, 'peek').remaining, 4);
    assert.equal(t.stats().size, 0);
    assert.equal(t.check('k', SLOW, T0).remaining, 4);
    assert.equal(t.check('k', SLOW, T0, 1, 'peek').remaining, 3);
    assert.equal(t.stats().size, 1);
  });

  it('a hot attacker stays refused while 10× capacity distinct keys flood the table; fill and counters move', () => {
    const t = createLimiterTable({ maxKeys: 1024, seed: 0xbeef });
    for (let i = 0; i < 5; i++) assert.ok(t.check('limit:per-ip|attacker', SLOW, T0).allowed);
    assert.equal(t.check('limit:per-ip|attacker', SLOW, T0).allowed, false);
    const attackerTat = t.tatOf('limit:per-ip|attacker', T0);
    assert.equal(attackerTat, T0 + 5 * 60_000);

    // Wave 1: every flood key is hot (TAT a minute ahead): no slot can be freed, so the sketch takes over.
    flood(t, 'w1', 10 * 1024, T0 + 1000);
    let s = t.stats();
    assert.equal(s.size, s.capacity, 'table full');
    assert.ok(s.fallbacks > 0, 'fallbacks counted');
    const during = t.check('limit:per-ip|attacker', SLOW, T0 + 1000);
    assert.equal(during.allowed, false);
    assert.equal(during.retryAfterMs, 59_000);
    assert.equal(t.tatOf('limit:per-ip|attacker', T0 + 1000), attackerTat, 'attacker state kept exactly');

    // Wave 2, after wave 1 cooled down: idle entries are evicted; the attacker (4 min of debt left) is not.
    flood(t, 'w2', 10 * 1024, T0 + 62_000);
    s = t.stats();
    assert.ok(s.evictions > 0, 'evictions counted');
    assert.equal(t.tatOf('limit:per-ip|attacker', T0 + 62_000), attackerTat);
    // One minute on, he has earned exactly one request — not a fresh bucket of five.
    const once = t.check('limit:per-ip|attacker', SLOW, T0 + 62_000);
    assert.equal(once.allowed, true);
    assert.equal(once.remaining, 0);
    const again = t.check('limit:per-ip|attacker', SLOW, T0 + 62_000);
    assert.equal(again.allowed, false);
    assert.equal(again.retryAfterMs, 58_000);
    assert.ok(t.countBusy(T0 + 62_000) > 0);
  });

  it('a key that finds no slot is judged from the sketch: never more leniently than with unbounded memory', () => {
    const t = createLimiterTable({ maxKeys: 16, seed: 99, sketchWidth: 16, sketchDepth: 2 });
    flood(t, 'hot', 16 * 4, T0); // every slot hot for a minute
    assert.equal(t.stats().size, 16);
    let trueTat = -Infinity;
    let refusedWhenTrueAllows = 0;
    let admittedWhenTrueRefuses = 0;
    for (let step = 0; step < 400; step++) {
      const now = T0 + step * 1000;
      if (step % 7 === 0) flood(t, `s${step}`, 40, now); // keep pressure on
      const got = t.check('limit:per-ip|attacker', SLOW, now).allowed;
      const want = gcraNextTat(trueTat, now, SLOW, 1) - now <= SLOW.toleranceMs + 1e-6;
      if (got && !want) admittedWhenTrueRefuses++;
      if (!got && want) refusedWhenTrueAllows++;
      if (got) trueTat = gcraNextTat(trueTat, now, SLOW, 1);
      assert.ok(t.tatOf('limit:per-ip|attacker', now) >= trueTat - 1e-6, `step ${step}: stored TAT below the truth`);
    }
    assert.equal(admittedWhenTrueRefuses, 0);
    assert.ok(t.stats().fallbacks > 0);
    // The cost is precision: under pressure, some requests the exact limiter would admit are refused.
    assert.ok(refusedWhenTrueAllows < 400);
  });

  it('a cooled-down key that was evicted comes back with a full bucket, as if never seen', () => {
    const t = createLimiterTable({ maxKeys: 16, seed: 5 });
    for (let i = 0; i < 5; i++) t.check('limit:a|me', SLOW, T0);
    const later = T0 + 10 * 60_000; // debt long paid
    flood(t, 'later', 200, later); // evicts idle entries, including mine
    assert.ok(t.stats().evictions > 0);
    const r = t.check('limit:a|me', SLOW, later + 1);
    assert.equal(r.allowed, true);
    assert.equal(r.remaining, 4);
  });
});

describe('createSlotTable', () => {
  it('finds what it claimed, fills two-choice buckets well, and refuses to evict busy slots', () => {
    const s = createSlotTable(1024);
    const placed: Array<[number, number, number]> = [];
    let refused = 0;
    for (let i = 0; i < 1024; i++) {
      const a = (Math.imul(i, 0x9e3779b1) ^ 0x1234) >>> 0;
      const b = (Math.imul(i + 7, 0x85ebca77) ^ 0x77) >>> 0;
      const slot = s.claim(a, b, 0);
      if (slot < 0) refused++;
      else {
        s.until[slot] = 100; // busy until t=100
        placed.push([a, b, slot]);
      }
    }
    assert.ok(s.size() >= 0.9 * 1024, `filled ${s.size()} of 1024 before a bucket pair ran out`);
    for (const [a, b, slot] of placed) assert.equal(s.find(a, b), slot);
    assert.equal(s.find(1, 2), -1);
    assert.equal(refused, 1024 - s.size());
    assert.equal(s.claim(12345, 678, 50), -1, 'all busy at t=50');
    assert.equal(s.evictions(), 0);
    const reused = s.claim(12345, 678, 100);
    assert.ok(reused >= 0, 'idle at t=100');
    assert.equal(s.evictions(), 1);
    s.until[reused] = 0;
    assert.equal(s.countBusy(99), s.size() - 1);
  });

  it('treats lane b = 0 as a valid key (stored as 1)', () => {
    const s = createSlotTable(16);
    const slot = s.claim(5, 0, 0);
    assert.equal(s.find(5, 0), slot);
  });
});
