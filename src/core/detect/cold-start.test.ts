import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createScenario, levelChanges } from './detector-scenario.ts';
import { poisson, seededRandom } from './prng.ts';
import type { SyntheticSecond } from './synthetic-site.ts';

/**
 * The drill's `cache-busting` flood seen by a Bulwark started in its middle: ~1000 uncleared req/s
 * from 50 sources, the origin's admission queue full and shedding a share of the requests.
 */
function cacheBustingFlood(seed: number, shedShare = 0.05, queue = 200): (t: number) => SyntheticSecond {
  const random = seededRandom(seed);
  return () => {
    const rps = poisson(random, 1000);
    return { rps, distinct: 50, clearedRps: 0, queue, shed: Math.round(rps * shedShare), latencyP99Ms: 900, originShare: 0.9 };
  };
}

/** A busy site at ease: 500 req/s from many sources, healthy origin (no queue, nothing shed). */
function busySite(seed: number, cleared: boolean): (t: number) => SyntheticSecond {
  const random = seededRandom(seed);
  return () => {
    const n = poisson(random, 500);
    return cleared
      ? { rps: poisson(random, 20), clearedRps: n, distinct: poisson(random, 10), latencyP99Ms: 120 }
      : { rps: n, distinct: poisson(random, 400), latencyP99Ms: 120 };
  };
}

describe('cold start (no baseline yet)', () => {
  it('cache-busting: a cold start into a flood rises within a few seconds and learns none of it', () => {
    const s = createScenario({ baseline: { learnDelayS: 0 } });
    const ticks = s.run(120, cacheBustingFlood(1));
    const first = ticks.findIndex((t) => t.level !== 'normal');
    assert.ok(first >= 0 && first < 3, `first raised at tick ${first}`);
    assert.ok(ticks.slice(first).every((t) => t.level !== 'normal'), 'the level stays up while the flood lasts');
    assert.ok(ticks[first]!.result.signals.some((x) => x.kind === 'cold_start'));
    assert.ok(ticks.every((t) => t.result.coldStart), 'every flood second is cold-start evidence');
    assert.equal(s.baseline.samples, 0, 'no flood second was learned');
  });

  it('severe shedding under the flood raises under_attack', () => {
    const s = createScenario();
    const ticks = s.run(10, cacheBustingFlood(2, 0.3, 1500));
    assert.equal(ticks[0]!.level, 'under_attack');
  });

  it('a flood of many sources at a saturated origin raises even at a modest rate per source', () => {
    const s = createScenario();
    const ticks = s.run(10, () => ({ rps: 300, distinct: 300, queue: 150, shed: 10 }));
    assert.equal(ticks[0]!.level, 'elevated');
  });

  const quiet: Array<[string, (t: number) => SyntheticSecond]> = [
    ['500 req/s of uncleared traffic from ~400 sources, healthy origin', busySite(3, false)],
    ['500 req/s of cleared visitors, healthy origin', busySite(4, true)],
    ['cleared visitors saturating the origin (a flash crowd): only uncleared traffic counts', () => ({ rps: 50, clearedRps: 800, distinct: 20, queue: 300, shed: 100 })],
    ['a saturated origin under ordinary uncleared traffic below the floors', () => ({ rps: 150, distinct: 100, queue: 300, shed: 20 })],
  ];
  for (const [name, spec] of quiet) {
    it(`a cold start into ordinary traffic raises nothing: ${name}`, () => {
      const s = createScenario();
      const ticks = s.run(300, spec);
      assert.deepEqual(levelChanges(ticks), []);
      assert.ok(ticks.every((t) => !t.result.coldStart));
      assert.ok(s.baseline.samples > 200, `ordinary seconds are learned (${s.baseline.samples})`);
    });
  }

  it('without the rule (coldStart.enabled false) the same flood stays normal and is learned', () => {
    const s = createScenario({ baseline: { learnDelayS: 0 }, config: { coldStart: { enabled: false } } });
    const ticks = s.run(60, cacheBustingFlood(1));
    assert.deepEqual(levelChanges(ticks), []);
    assert.ok(s.baseline.samples > 30);
  });

  it('holds while the surge lasts even when the origin recovers, then steps down and learns again', () => {
    const s = createScenario({ baseline: { learnDelayS: 0 } });
    s.run(10, () => ({ rps: 600, distinct: 50, queue: 200, shed: 30 }));
    assert.equal(s.state.level, 'elevated');
    const recovered = s.run(120, () => ({ rps: 600, distinct: 50 }));
    assert.ok(recovered.every((t) => t.level === 'elevated'), 'held while 600 uncleared req/s go on');
    assert.equal(s.baseline.samples, 0);
    const random = seededRandom(6);
    const after = s.run(300, () => ({ rps: poisson(random, 80), distinct: poisson(random, 30) }));
    assert.deepEqual(levelChanges(after, 'elevated').map(([, , to]) => to), ['normal']);
    assert.ok(levelChanges(after, 'elevated')[0]![0] - recovered.at(-1)!.t >= 30, 'calm period respected');
    assert.ok(s.baseline.samples > 100, 'learning resumes on ordinary traffic');
  });

  it('does not apply once the baseline is established', () => {
    const random = seededRandom(7);
    const s = createScenario({ baseline: { learnDelayS: 0 } });
    s.run(60, () => ({ rps: poisson(random, 400), distinct: poisson(random, 300) }));
    assert.ok(s.baseline.samples >= s.config.minBaselineSamples);
    const ticks = s.run(5, () => ({ rps: 400, distinct: 300, queue: 200, shed: 20 }));
    assert.ok(ticks.every((t) => !t.result.coldStart && t.result.signals.every((x) => x.kind !== 'cold_start')));
  });
});
