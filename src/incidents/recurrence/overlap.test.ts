import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createKmv } from '../../core/detect/kmv.ts';
import { distributionOverlap, sketchOverlap, wilson } from './overlap.ts';

/** True weighted Jaccard Σmin/Σmax of two full distributions. */
function trueJaccard(a: Record<string, number>, b: Record<string, number>): number {
  let min = 0, max = 0;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    min += Math.min(a[k] ?? 0, b[k] ?? 0);
    max += Math.max(a[k] ?? 0, b[k] ?? 0);
  }
  return max > 0 ? min / max : 0;
}

/** A full distribution over keys 0..n and a sketch of it: the top `listed` keys with lowered fractions. */
const distribution = fc.record({
  weights: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 12 }),
  listed: fc.integer({ min: 0, max: 12 }),
  under: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }),
}).filter((d) => d.weights.some((w) => w > 0));

function split(d: { weights: number[]; listed: number; under: number[] }, offset: number) {
  const total = d.weights.reduce((s, w) => s + w, 0);
  const full: Record<string, number> = {};
  d.weights.forEach((w, i) => w > 0 && (full[`k${i + offset}`] = w / total));
  const listed: Record<string, number> = {};
  Object.entries(full).sort((x, y) => y[1] - x[1]).slice(0, d.listed).forEach(([k, v], i) => (listed[k] = v * (1 - 0.5 * d.under[i]!)));
  return { full, listed };
}

describe('distributionOverlap', () => {
  it('identical fully listed distributions overlap 1; disjoint ones 0', () => {
    assert.deepEqual(distributionOverlap({ a: 0.5, b: 0.5 }, { a: 0.5, b: 0.5 }), { estimate: 1, low: 1, high: 1, shared: [{ key: 'a', a: 0.5, b: 0.5 }, { key: 'b', a: 0.5, b: 0.5 }] });
    const d = distributionOverlap({ a: 1 }, { b: 1 });
    assert.deepEqual([d.estimate, d.low, d.high], [0, 0, 0]);
  });

  it('an unknown tail widens the bound: half of each attack unlisted leaves the overlap open', () => {
    const d = distributionOverlap({ a: 0.5 }, { b: 0.5 });
    assert.deepEqual([d.estimate, d.low, d.high], [0, 0, 1]);
  });

  it('property: the true weighted Jaccard lies within the bound, whatever the unlisted tails hold', () => {
    fc.assert(
      fc.property(distribution, distribution, fc.integer({ min: 0, max: 12 }), (x, y, shift) => {
        const a = split(x, 0);
        const b = split(y, shift);
        const o = distributionOverlap(a.listed, b.listed);
        const j = trueJaccard(a.full, b.full);
        return o.low <= j + 1e-3 && j <= o.high + 1e-3;
      }),
      { numRuns: 500 },
    );
  });
});

describe('sketchOverlap', () => {
  const sketch = (keys: number[]) => {
    const k = createKmv(64);
    for (const h of keys) k.add(h);
    return k.values();
  };

  it('exact when both sketches hold their whole sets', () => {
    const o = sketchOverlap(sketch([1, 2, 3, 4]), sketch([3, 4, 5, 6]), 64)!;
    assert.deepEqual([o.estimate, o.low, o.high, o.exact], [2 / 6, 2 / 6, 2 / 6, true].map((v) => (typeof v === 'number' ? Math.round(v * 1e4) / 1e4 : v)));
    assert.equal(sketchOverlap([], [1], 64), null);
  });

  it('property: for large sets the 95% interval holds the true Jaccard in at least 90% of trials', () => {
    let covered = 0;
    const trials = 200;
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 2000 }), fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 1, max: 2 ** 31 }), (n, shared, seed) => {
        const s = Math.min(shared, n);
        // Pseudo-random 32-bit hashes (a bottom-k sketch assumes uniform hashes).
        let x = seed >>> 0;
        const next = () => ((x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0);
        const common = Array.from({ length: s }, next);
        const a = [...common, ...Array.from({ length: n - s }, next)];
        const b = [...common, ...Array.from({ length: n - s }, next)];
        const o = sketchOverlap(sketch(a), sketch(b), 64)!;
        const truth = s / (2 * n - s);
        if (o.low <= truth && truth <= o.high) covered++;
        return true;
      }),
      { numRuns: trials },
    );
    assert.ok(covered >= trials * 0.9, `covered ${covered} of ${trials}`);
  });

  it('wilson: narrows with the sample, stays within [0, 1]', () => {
    const small = wilson(5, 10);
    const large = wilson(500, 1000);
    assert.ok(small.high - small.low > large.high - large.low);
    assert.deepEqual(wilson(0, 0), { low: 0, high: 1 });
    const zero = wilson(0, 256);
    assert.ok(zero.low === 0 && zero.high > 0 && zero.high < 0.02);
  });
});
