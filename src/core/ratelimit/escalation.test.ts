import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEscalation } from './escalation.ts';
import type { Ban, Escalation, EscalationOptions } from './escalation.ts';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;

/** Send refusals for one address (1 ms apart) until a ban comes back or `max` are sent. */
function hammer(e: Escalation, address: string, start: number, max = 50, prefix: string | null = null): { ban: Ban | null; at: number; sent: number } {
  for (let i = 0; i < max; i++) {
    const d = e.recordRefusal({ address, prefix, by: 'limit/per-ip' }, start + i);
    if (d !== null) return { ban: d.ban, at: start + i, sent: i + 1 };
  }
  return { ban: null, at: start + max, sent: max };
}

describe('createEscalation', () => {
  it('validates options', () => {
    const bad: EscalationOptions[] = [
      { seed: 1, address: { threshold: 0, windowMs: 1000 } },
      { seed: 1, prefix: { threshold: 1, windowMs: 0 } },
      { seed: 1, ladderMs: [] },
      { seed: 1, ladderMs: [1000, -1] },
      { seed: 1, forgiveMs: 0 },
      { seed: 1, maxKeys: 0 },
    ];
    for (const o of bad) assert.throws(() => createEscalation(o), { code: 'BULWARK_ERR_ESCALATION_OPTIONS' });
  });

  it('climbs the ladder 1 min, 10 min, 1 h, 24 h, 24 h for a client that keeps coming back', () => {
    const e = createEscalation({ seed: 7 });
    const want = [
      [1, MIN],
      [2, 10 * MIN],
      [3, HOUR],
      [4, 24 * HOUR],
      [4, 24 * HOUR],
    ];
    let now = T0;
    for (const [level, duration] of want) {
      const { ban, at, sent } = hammer(e, '203.0.113.7', now);
      assert.ok(ban, `ban expected at level ${level}`);
      assert.equal(sent, 10, 'threshold 10 refusals');
      assert.deepEqual(ban, { key: '203.0.113.7', scope: 'address', untilMs: at + duration, reason: 'escalation/limit/per-ip', level });
      now = ban.untilMs + 1; // comes straight back after the ban
    }
    assert.equal(e.stats().bans, 5);
  });

  it('makes no new decision while the ban it issued runs', () => {
    const e = createEscalation({ seed: 7 });
    const { ban } = hammer(e, '203.0.113.7', T0);
    assert.ok(ban);
    assert.equal(hammer(e, '203.0.113.7', T0 + 1000, 100).ban, null);
    assert.equal(e.standing('address', '203.0.113.7', T0 + 1000).bannedUntilMs, ban.untilMs);
  });

  it('forgives one rung per forgiveMs of good behaviour after the ban, and resets in the end', () => {
    const e = createEscalation({ seed: 7, forgiveMs: 6 * HOUR });
    let now = T0;
    for (let i = 0; i < 3; i++) now = hammer(e, '192.0.2.1', now).ban!.untilMs + 1; // rungs 1, 2, 3 used
    assert.equal(e.standing('address', '192.0.2.1', now).level, 3);
    const table: Array<[number, number]> = [
      [6 * HOUR - 1000, 3],
      [6 * HOUR, 2],
      [12 * HOUR, 1],
      [18 * HOUR + 1000, 0],
    ];
    for (const [after, level] of table) assert.equal(e.standing('address', '192.0.2.1', now + after).level, level, `after ${after} ms`);
    const back = hammer(e, '192.0.2.1', now + 12 * HOUR).ban!;
    assert.equal(back.level, 2, 'one rung owed → second rung');
  });

  it('drains strikes: a refusal rate at threshold/window never bans, above it eventually does', () => {
    const slow = createEscalation({ seed: 1 });
    for (let i = 0; i < 500; i++) assert.equal(slow.recordRefusal({ address: 'a', prefix: null, by: 'x' }, T0 + i * 6000), null);
    const fast = createEscalation({ seed: 1 });
    let banned = -1;
    for (let i = 0; i < 500 && banned < 0; i++) if (fast.recordRefusal({ address: 'a', prefix: null, by: 'x' }, T0 + i * 5000) !== null) banned = i;
    assert.ok(banned > 10 && banned < 100, `banned after ${banned}`);
  });

  it('bans a prefix whose addresses each stay under the address threshold', () => {
    const e = createEscalation({ seed: 3 });
    let ban: Ban | null = null;
    let i = 0;
    for (; i < 500 && ban === null; i++) {
      const d = e.recordRefusal({ address: `198.51.100.${i % 250}`, prefix: '198.51.100.0/24', by: 'limit/per-ip' }, T0 + i);
      ban = d?.ban ?? null;
    }
    assert.equal(i, 100);
    assert.deepEqual(ban, { key: '198.51.100.0/24', scope: 'prefix', untilMs: T0 + 99 + MIN, reason: 'escalation/limit/per-ip', level: 1 });
    const off = createEscalation({ seed: 3, prefix: false });
    for (let j = 0; j < 500; j++) assert.equal(off.recordRefusal({ address: `198.51.100.${j % 250}`, prefix: '198.51.100.0/24', by: 'x' }, T0 + j), null);
  });

  it('a full table never lowers an attacker’s rung (eviction-proof, sketch fallback)', () => {
    const e = createEscalation({ seed: 11, maxKeys: 16, sketchWidth: 16 });
    let now = T0;
    for (let i = 0; i < 3; i++) now = hammer(e, 'attacker', now).ban!.untilMs + 1;
    // 2,000 other addresses pick up strikes and bans: far more keys than the 16 slots.
    for (let k = 0; k < 2000; k++) hammer(e, `bot-${k}`, now + k * 20, 12);
    const s = e.stats();
    assert.ok(s.fallbacks > 0 && s.size === s.capacity, JSON.stringify(s));
    const later = now + 2000 * 20 + 1;
    assert.ok(e.standing('address', 'attacker', later).level >= 3);
    const next = hammer(e, 'attacker', later).ban!;
    assert.ok(next.level >= 4 && next.untilMs - later >= 24 * HOUR - 50, JSON.stringify(next));
  });
});
