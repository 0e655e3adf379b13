import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createRateProfileRecorder, normalisedShape, profileOfSeries, shapeCorrelation } from './rate-profile.ts';

describe('rate profile', () => {
  it('keeps one bucket per second while it fits', () => {
    assert.deepEqual(profileOfSeries([1, 2, 3]), { bucket_seconds: 1, values: [1, 2, 3] });
  });

  it('merges neighbours and doubles the width when full, keeping the mean rate', () => {
    const p = profileOfSeries([1, 3, 5, 7, 9], 4);
    assert.deepEqual(p, { bucket_seconds: 2, values: [2, 6, 9] });
  });

  it('property: bounded, and the mean over the buckets equals the mean of the series', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 3000 }), fc.constantFrom(4, 16, 128), (series, cap) => {
        const rec = createRateProfileRecorder(cap);
        for (const r of series) rec.add(r);
        const p = rec.profile();
        const counts = p.values.map((_, i) => Math.min(p.bucket_seconds, series.length - i * p.bucket_seconds));
        const mean = p.values.reduce((s, v, i) => s + v * counts[i]!, 0) / series.length;
        const truth = series.reduce((s, v) => s + v, 0) / series.length;
        return p.values.length <= cap && Math.abs(mean - truth) <= 0.01 * Math.max(1, truth) && rec.seconds === series.length;
      }),
    );
  });

  it('continues from a stored profile', () => {
    const rec = createRateProfileRecorder(8, { bucket_seconds: 2, values: [10, 20] });
    rec.add(30);
    rec.add(50);
    assert.deepEqual(rec.profile(), { bucket_seconds: 2, values: [10, 20, 40] });
  });

  it('compares shapes, not sizes', () => {
    const ramp = { bucket_seconds: 1, values: [0, 100, 200, 300, 300, 0] };
    const bigger = { bucket_seconds: 10, values: [0, 1000, 2000, 3000, 3000, 0] };
    const reversed = { bucket_seconds: 1, values: [0, 300, 300, 200, 100, 0] };
    assert.equal(shapeCorrelation(ramp, bigger), 1);
    assert.ok(shapeCorrelation(ramp, reversed)! < 0.8);
    assert.equal(shapeCorrelation(ramp, { bucket_seconds: 1, values: [5, 5, 5] }), null, 'a flat profile has no shape');
    assert.equal(normalisedShape({ bucket_seconds: 1, values: [] }).length, 0);
  });
});
