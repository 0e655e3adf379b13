import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { notTaught, rampRate, RAMP_FACTOR } from './slow-ramp.ts';
import type { BaselineFigures } from './baseline-probe.ts';
import type { JudgedFigures } from './context.ts';

const baseline = (rps: number, recent = rps): BaselineFigures => ({
  atMs: 0, level: 'normal', reasons: [], samples: 100, warm: true, unclearedRps: rps, recentUnclearedRps: recent, normalUnclearedRps: rps, basis: 'recent', learnDelayS: 30, growthPerHour: 2, cappedSamples: 0,
});
const judged = (details: Record<string, unknown>) => ({ details }) as unknown as JudgedFigures;

describe('slow-ramp', () => {
  it('ramps the attack so that the site total grows by the same factor every second, from 0 to the final rate', () => {
    assert.equal(rampRate(0, 40, 300), 0);
    assert.ok(Math.abs(rampRate(40, 40, 300) - 300) < 1e-9);
    assert.equal(rampRate(80, 40, 300), 300, 'holds after the ramp');
    // with visitors at rate/9 the total is (rate/9)·10^(t/T): a constant factor per second
    const total = (t: number) => 300 / (RAMP_FACTOR - 1) + rampRate(t, 40, 300);
    const f = total(11) / total(10);
    assert.ok(Math.abs(total(31) / total(30) - f) < 1e-9 && Math.abs(f - 10 ** (1 / 40)) < 1e-9);
  });

  it('judges whether the attack became normal from the larger of the recent and long-run normals', () => {
    assert.equal(notTaught(judged({ b: baseline(30), a: baseline(31) }), 'b', 'a', 'the ramp').ok, true);
    assert.equal(notTaught(judged({ b: baseline(30), a: baseline(30, 80) }), 'b', 'a', 'the ramp').ok, false, 'a recent normal ×2.7 is taught');
    assert.equal(notTaught(judged({ b: baseline(30) }), 'b', 'a', 'the ramp').ok, null);
  });
});
