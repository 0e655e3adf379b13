import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createSpaceSaving, mergeHeavyHitters, type HeavyKey } from './heavy-hitters.ts';

function exact(stream: ReadonlyArray<readonly [HeavyKey, number]>): Map<HeavyKey, number> {
  const m = new Map<HeavyKey, number>();
  for (const [k, n] of stream) m.set(k, (m.get(k) ?? 0) + n);
  return m;
}

/** Streams over a skewed alphabet, with string and number keys and integer weights. */
const streamArb = fc.array(
  fc.tuple(fc.oneof(fc.integer({ min: 0, max: 60 }).map((i) => `k${i * i % 61}`), fc.integer({ min: 0, max: 5 })), fc.integer({ min: 1, max: 5 })),
  { minLength: 1, maxLength: 600 },
);

describe('Space-Saving', () => {
  it('keeps its guarantees on any stream (fast-check)', () => {
    fc.assert(
      fc.property(streamArb, fc.integer({ min: 1, max: 24 }), (stream, capacity) => {
        const s = createSpaceSaving({ capacity });
        for (const [k, n] of stream) s.offer(k, n);
        const truth = exact(stream);
        const total = [...truth.values()].reduce((a, b) => a + b, 0);
        assert.equal(s.total, total);
        assert.ok(s.size <= capacity);
        for (const [k, n] of truth) {
          const e = s.get(k);
          if (n > total / capacity) assert.ok(e !== undefined, `key ${String(k)} with ${n} of ${total} missing`);
          if (e !== undefined) {
            assert.ok(e.count - e.error <= n && n <= e.count, `${String(k)}: ${n} not in [${e.count - e.error}, ${e.count}]`);
            assert.ok(e.error <= total / capacity + 1e-9);
          } else assert.ok(n <= s.min());
        }
        const top = s.top(5);
        for (let i = 1; i < top.length; i++) assert.ok(top[i - 1]!.count >= top[i]!.count);
      }),
      { numRuns: 300 },
    );
  });

  it('merged summaries of parts keep true ∈ [count − error, count + error] and find every frequent key', () => {
    fc.assert(
      fc.property(streamArb, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 16 }), (stream, parts, capacity) => {
        const summaries = Array.from({ length: parts }, () => createSpaceSaving({ capacity }));
        stream.forEach(([k, n], i) => summaries[i % parts]!.offer(k, n));
        const merged = mergeHeavyHitters(summaries, 1000);
        const truth = exact(stream);
        const total = stream.reduce((a, [, n]) => a + n, 0);
        for (const e of merged) {
          const n = truth.get(e.key) ?? 0;
          assert.ok(e.count - e.error <= n + 1e-9 && n <= e.count + e.error + 1e-9);
        }
        for (const [k, n] of truth) if (n > total / capacity) assert.ok(merged.some((e) => e.key === k), `frequent ${String(k)} lost`);
      }),
      { numRuns: 200 },
    );
  });

  it('stays at its capacity under a million distinct keys, and still finds a 5% heavy hitter', () => {
    const s = createSpaceSaving({ capacity: 128 });
    for (let i = 0; i < 1_000_000; i++) {
      s.offer(`10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
      if (i % 20 === 0) s.offer('198.51.100.7');
    }
    assert.equal(s.size, 128);
    const [first] = s.top(1);
    assert.equal(first!.key, '198.51.100.7');
    assert.ok(first!.count - first!.error <= 50_000 && first!.count >= 50_000);
  });

  it('decays counts, errors and total alike, keeping the order', () => {
    const s = createSpaceSaving({ capacity: 2 });
    s.offer('a', 8);
    s.offer('b', 4);
    s.offer('c', 1); // evicts b: c = 5 with error 4
    s.decay(0.5);
    assert.deepEqual(s.top(), [{ key: 'a', count: 4, error: 0 }, { key: 'c', count: 2.5, error: 2 }]);
    assert.equal(s.total, 6.5);
    assert.equal(s.min(), 2.5);
    s.offer('c', 2);
    assert.equal(s.top(1)[0]!.key, 'c');
  });

  it('loads persisted counters and resets', () => {
    const s = createSpaceSaving({ capacity: 3 });
    s.load([{ key: 'x', count: 1, error: 0 }, { key: 64500, count: 9, error: 2 }, { key: 'y', count: 5, error: 9 }, { key: 'z', count: 2, error: 0 }], 30);
    assert.equal(s.size, 3);
    assert.equal(s.total, 30);
    assert.deepEqual(s.top().map((e) => e.key), [64500, 'y', 'z']);
    assert.equal(s.get('y')!.error, 5, 'error clamped to count');
    s.reset();
    assert.equal(s.size, 0);
    assert.equal(s.get(64500), undefined);
  });

  it('rejects a capacity below one', () => {
    assert.throws(() => createSpaceSaving({ capacity: 0 }), { code: 'BULWARK_ERR_DETECT_CAPACITY' });
  });
});

describe('Filtered Space-Saving', () => {
  const hashOf = (k: HeavyKey) => {
    let h = 0;
    for (const ch of String(k)) h = Math.imul(h ^ ch.charCodeAt(0), 0x9e3779b1);
    return h >>> 0;
  };

  it('keeps count − error ≤ true ≤ count, and true ≤ min for unmonitored keys (fast-check)', () => {
    fc.assert(
      fc.property(streamArb, fc.integer({ min: 1, max: 24 }), fc.constantFrom(1, 4, 64), (stream, capacity, filterCells) => {
        const s = createSpaceSaving({ capacity, filterCells });
        for (const [k, n] of stream) s.offer(k, n, hashOf(k));
        const truth = exact(stream);
        assert.ok(s.size <= capacity);
        for (const [k, n] of truth) {
          const e = s.get(k);
          if (e !== undefined) assert.ok(e.count - e.error <= n && n <= e.count, `${String(k)}: ${n} not in [${e.count - e.error}, ${e.count}]`);
          else assert.ok(n <= s.min(), `unmonitored ${String(k)} has ${n} > min ${s.min()}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finds the heavy hitter of a million-key flood with far fewer evictions', () => {
    const s = createSpaceSaving({ capacity: 128, filterCells: 4096 });
    for (let i = 0; i < 1_000_000; i++) {
      const k = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
      s.offer(k, 1, hashOf(k));
      if (i % 20 === 0) s.offer('198.51.100.7', 1, hashOf('198.51.100.7'));
    }
    const [first] = s.top(1);
    assert.equal(first!.key, '198.51.100.7');
    assert.ok(first!.count - first!.error <= 50_000 && first!.count >= 50_000);
    assert.throws(() => createSpaceSaving({ filterCells: 3 }), { code: 'BULWARK_ERR_DETECT_CAPACITY' });
  });
});
