import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createReplaySet } from './replay-set.ts';
import { T0 } from './test-support.ts';

const H = 300_000;

test('a nonce is admitted once, then replayed', () => {
  const set = createReplaySet({ capacity: 10, horizonMs: H });
  assert.equal(set.admit('n1', T0, T0 + 10), 'admitted');
  assert.equal(set.admit('n1', T0, T0 + 20), 'replayed');
  assert.equal(set.admit('n2', T0, T0 + 20), 'admitted');
  assert.equal(set.has('n1', T0), true);
  const s = set.stats();
  assert.equal(s.size, 2);
  assert.equal(s.admitted, 2);
  assert.equal(s.replayed, 1);
  assert.equal(s.fill, 0.2);
});

test('a nonce is remembered for as long as its token can verify, and forgotten afterwards', () => {
  const set = createReplaySet({ capacity: 100, horizonMs: H, buckets: 10 });
  assert.equal(set.admit('n', T0, T0 + 1), 'admitted');
  // Every moment until the horizon: still a replay.
  for (let t = T0 + 1; t < T0 + H; t += 7_001) assert.equal(set.admit('n', T0, t), 'replayed', `at +${t - T0}`);
  // At the horizon the token is too old to be checked at all.
  assert.equal(set.admit('n', T0, T0 + H), 'too_old');
  // Later admissions sweep the old bucket.
  assert.equal(set.admit('m', T0 + 2 * H, T0 + 2 * H), 'admitted');
  assert.equal(set.stats().size, 1);
});

test('tokens from the future beyond the clock skew are refused', () => {
  const set = createReplaySet({ horizonMs: H });
  assert.equal(set.admit('n', T0 + 31_000, T0), 'too_new');
  assert.equal(set.admit('n', T0 + 29_000, T0), 'admitted');
  assert.equal(set.admit('n', T0 + 29_000, T0 + 60_000), 'replayed');
});

test('flooding a full set never re-opens an evicted nonce: the watermark refuses its token', () => {
  const set = createReplaySet({ capacity: 4, horizonMs: H, buckets: 10 }); // 30 s windows
  assert.equal(set.admit('victim', T0, T0), 'admitted');
  // The attacker fills the set with solutions issued later.
  let now = T0 + 40_000;
  for (let i = 0; i < 20; i++) {
    now += 1_000;
    const verdict = set.admit(`flood-${i}`, now - 500, now);
    assert.ok(verdict === 'admitted' || verdict === 'full', verdict);
  }
  assert.ok(set.stats().evictions >= 1);
  assert.ok(set.stats().size <= 4);
  // The victim nonce was evicted, but its token is now below the watermark: a replay is still refused.
  assert.equal(set.admit('victim', T0, now), 'too_old');
});

test('when the oldest bucket is the one being filled, new solutions are refused (fail closed)', () => {
  const set = createReplaySet({ capacity: 3, horizonMs: H, buckets: 10 });
  for (let i = 0; i < 3; i++) assert.equal(set.admit(`a${i}`, T0, T0), 'admitted');
  assert.equal(set.admit('a3', T0 + 1, T0 + 1), 'full');
  assert.equal(set.stats().refusedFull, 1);
  // Once time moves to a new window, the old window can be evicted and new solutions go in.
  assert.equal(set.admit('b0', T0 + 31_000, T0 + 31_000), 'admitted');
  assert.equal(set.stats().evictions, 1);
  assert.equal(set.admit('a0', T0, T0 + 31_000), 'too_old');
});

test('property: no nonce is ever admitted twice while its token is within the horizon', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ nonce: fc.integer({ min: 0, max: 30 }), age: fc.integer({ min: 0, max: H + 50_000 }), step: fc.integer({ min: 0, max: 20_000 }) }), { maxLength: 300 }),
      fc.integer({ min: 1, max: 20 }),
      (ops, capacity) => {
        const set = createReplaySet({ capacity, horizonMs: H, buckets: 5 });
        // Each nonce belongs to one token with one issue time (as in reality: the nonce is inside the signed token).
        const issuedAt = new Map<number, number>();
        const admittedAt = new Map<number, number>();
        let now = T0 + H;
        for (const op of ops) {
          now += op.step;
          if (!issuedAt.has(op.nonce)) issuedAt.set(op.nonce, now - op.age);
          const issued = issuedAt.get(op.nonce)!;
          const verdict = set.admit(`n${op.nonce}`, issued, now);
          if (verdict === 'admitted') {
            if (admittedAt.has(op.nonce)) return false;
            admittedAt.set(op.nonce, now);
          }
          if (set.stats().size > capacity) return false;
        }
        return true;
      },
    ),
    { numRuns: 300 },
  );
});

test('options are validated', () => {
  assert.throws(() => createReplaySet({ capacity: 0 }), RangeError);
  assert.throws(() => createReplaySet({ horizonMs: 10 }), RangeError);
});
