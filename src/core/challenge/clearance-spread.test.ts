import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createClearanceSpread } from './clearance-spread.ts';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const cookie = (i: number) => `AAAA${'x'.repeat(70)}${String(i).padStart(10, '0')}`;

test('a clearance may be presented from up to maxPrefixes prefixes, then is refused everywhere', () => {
  const s = createClearanceSpread();
  const value = cookie(1);
  for (let i = 0; i < 4; i++) assert.equal(s.note(value, `81.2.${i}.0/24`, T0 + HOUR, 4, T0), true, `prefix ${i}`);
  assert.equal(s.note(value, '81.2.0.0/24', T0 + HOUR, 4, T0), true, 'a prefix already seen');
  assert.equal(s.note(value, '81.2.9.0/24', T0 + HOUR, 4, T0), false, 'a fifth prefix');
  assert.equal(s.note(value, '81.2.0.0/24', T0 + HOUR, 4, T0), false, 'refused for the rest of its life, even where it was fine');
  assert.equal(s.note(cookie(2), '81.2.9.0/24', T0 + HOUR, 4, T0), true, 'other clearances are not affected');
  assert.equal(s.stats().refused, 2);
});

test('an expired clearance is forgotten; a full table drops the oldest entry and says so', () => {
  const s = createClearanceSpread({ capacity: 3 });
  s.note(cookie(1), 'a', T0 + 10, 2, T0);
  s.note(cookie(2), 'a', T0 + HOUR, 2, T0);
  s.note(cookie(3), 'a', T0 + HOUR, 2, T0);
  s.note(cookie(4), 'a', T0 + HOUR, 2, T0 + 20); // cookie(1) expired: dropped without an eviction
  assert.deepEqual([s.stats().size, s.stats().evictions], [3, 0]);
  s.note(cookie(5), 'a', T0 + HOUR, 2, T0 + 20);
  assert.deepEqual([s.stats().size, s.stats().evictions], [3, 1]);
  assert.equal(s.stats().fill, 1);
});

test('property: never more than capacity entries, and a clearance is never accepted from more than maxPrefixes prefixes while remembered', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(20), fc.nat(30), fc.nat(1000)), { maxLength: 400 }), (events) => {
      const s = createClearanceSpread({ capacity: 8 });
      const seen = new Map<number, Set<number>>();
      let now = T0;
      for (const [c, p, dt] of events) {
        now += dt;
        const ok = s.note(cookie(c), `p${p}`, T0 + HOUR, 3, now);
        if (s.stats().size > 8) return false;
        if (s.stats().evictions === 0) {
          const set = seen.get(c) ?? new Set();
          set.add(p);
          seen.set(c, set);
          if (ok !== set.size <= 3) return false;
        }
      }
      return true;
    }),
    { numRuns: 300 },
  );
});
