/**
 * Attacks on the baseline itself, each named after what an attacker does to make his real flood look
 * normal: teaching bursts that stop just before a rise, a slow ramp, and hiding in the seconds before a
 * rise. Fake clock (detector-scenario.ts), seeded noise.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BaselineOptions } from './baseline.ts';
import { createScenario, levelChanges, SCENARIO_T0, type Scenario } from './detector-scenario.ts';
import { learnContext } from './detector.ts';
import { poisson, seededRandom } from './prng.ts';
import { rankOf } from './signals.ts';
import type { SyntheticSecond } from './synthetic-site.ts';

/** A news site at ~100 uncleared req/s (35 distinct clients a second), learned for an hour. */
function learnedSite(baseline: BaselineOptions = {}, seed = 1): { s: Scenario; normal: () => SyntheticSecond; random: () => number } {
  const s = createScenario({ baseline });
  const random = seededRandom(seed);
  const normal = (): SyntheticSecond => ({ rps: poisson(random, 100), distinct: poisson(random, 35), clearedRps: poisson(random, 30) });
  assert.deepEqual(levelChanges(s.run(3600, normal)), []);
  assert.ok(s.baseline.warm);
  return { s, normal, random };
}

/** The epoch second a scenario's tick `t` looks at (its last complete second). */
const secondOf = (t: number): number => Math.floor(SCENARIO_T0 / 1000) + t - 1;

const at = (random: () => number, rate: number): SyntheticSecond => ({ rps: poisson(random, rate), distinct: poisson(random, rate * 0.35), clearedRps: 30 });

/**
 * An hour of teaching: every 30 s, a 20 s burst at 1.35× the normal the baseline reports then (the
 * attacker reads it, as /detection would show it), i.e. as high as it can go without a rise. Returns the
 * highest normal the baseline reported meanwhile and the level changes.
 */
function teach(s: Scenario, normal: () => SyntheticSecond, random: () => number): { highest: number; changes: ReturnType<typeof levelChanges> } {
  const start = s.t;
  let level = 0;
  let highest = 0;
  const ticks = s.run(3600, (t) => {
    const k = (t - start) % 30;
    const ref = Math.max(s.baseline.recentLevel('unclearedRps'), s.baseline.expected('unclearedRps'));
    highest = Math.max(highest, ref);
    if (k === 0) level = 1.35 * ref;
    return k < 20 ? at(random, level) : normal();
  });
  return { highest, changes: levelChanges(ticks) };
}

describe('baseline poisoning', () => {
  it('teaching bursts that stop before a rise move the learned normal at most ×2 in an hour; the flood after them is detected at once', () => {
    const { s, normal, random } = learnedSite();
    const { highest, changes } = teach(s, normal, random);
    assert.deepEqual(changes, [], 'the bursts never raised the level (they were below every threshold)');
    assert.ok(highest <= 100 * 2 * 1.05, `the reported normal grew to ${highest.toFixed(0)} req/s, at most ×2 an hour`);
    const flood = s.run(5, () => at(random, 800));
    assert.equal(flood[0]!.level, 'under_attack', flood[0]!.result.reasons.join('; '));

    // The same teaching against a baseline without the delay and the growth cap: it learns far more.
    const bare = learnedSite({ growthPerHour: Infinity, learnDelayS: 0 });
    assert.ok(teach(bare.s, bare.normal, bare.random).highest >= 400, 'without the cap the bursts teach it ×4 and more');
  });

  it('a slow ramp (×10 in 30 min) is detected early, and the learned normal does not follow it', () => {
    const detectAt = (baseline: BaselineOptions): { rate: number; level: string; normal: number } => {
      const { s, random } = learnedSite(baseline);
      const start = s.t;
      const rate = (t: number): number => 100 * 10 ** Math.min(1, (t - start) / 1800);
      const ticks = s.run(2400, (t) => at(random, rate(t)));
      const first = ticks.find((t) => t.level !== 'normal');
      return { rate: first ? rate(first.t) : Infinity, level: ticks.at(-1)!.level, normal: s.baseline.recentLevel('unclearedRps') };
    };
    const capped = detectAt({});
    assert.ok(capped.rate <= 350, `detected at ${capped.rate.toFixed(0)} req/s`);
    assert.equal(capped.level, 'under_attack');
    assert.ok(capped.normal <= 150, `learned normal ${capped.normal.toFixed(0)} req/s`);
    const bare = detectAt({ growthPerHour: Infinity, learnDelayS: 0 });
    assert.ok(bare.rate > 2 * capped.rate, `without the cap: detected only at ${bare.rate.toFixed(0)} req/s`);
  });

  it('throws away the seconds queued before a rise, learns nothing while an incident is open, and learns the rest after the delay', () => {
    const learned: number[] = [];
    const { s, normal, random } = learnedSite({ onLearn: (second) => learned.push(second) });
    const samples = s.baseline.samples;
    learned.length = 0;
    s.run(20, normal);
    assert.equal(s.baseline.samples, samples + 20, 'the seconds queued during the hour keep flowing in');
    s.run(10, () => at(random, 150));
    assert.equal(s.baseline.learning().pending, 30);
    const riseAt = s.t + 1;
    const flood = s.run(3, () => at(random, 3000));
    assert.equal(flood[0]!.level, 'under_attack');
    assert.equal(s.baseline.learning().pending, 0, 'the rise threw the queue away');
    assert.ok(s.baseline.learning().discarded >= 30);
    s.run(60, normal);
    const beforeRise = Array.from({ length: 31 }, (_, i) => secondOf(riseAt - i));
    assert.ok(learned.length > 0 && !learned.some((x) => beforeRise.includes(x)), 'none of the 30 seconds before the rise was learned');

    const n = s.baseline.samples;
    const ctx = { level: 'normal' as const, incidentOpen: true };
    for (let i = 0; i < 60; i++) s.baseline.update(s.site.next(normal(), s.nowMs() + i * 1000), ctx, s.nowMs() + i * 1000);
    assert.equal(s.baseline.samples, n, 'nothing learned while the incident was open');
    assert.equal(s.baseline.learning().pending, 0);
  });

  it('property: no second within the learning delay before a rise ever enters the baseline, nor one seen above normal', () => {
    const runs = { learned: 0, rises: 0 };
    fc.assert(
      fc.property(
        fc.record({
          delayS: fc.integer({ min: 1, max: 45 }),
          confirmTicks: fc.integer({ min: 1, max: 3 }),
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          events: fc.array(fc.record({ start: fc.integer({ min: 0, max: 350 }), length: fc.integer({ min: 1, max: 40 }), factor: fc.double({ min: 1.1, max: 40, noNaN: true }) }), { maxLength: 6 }),
        }),
        ({ delayS, confirmTicks, seed, events }) => {
          const learned: number[] = [];
          const s = createScenario({ baseline: { warmupSeconds: 60, learnDelayS: delayS, onLearn: (x) => learned.push(x) }, config: { confirmTicks } });
          const random = seededRandom(seed);
          const ticks = s.run(500, (t) => {
            const e = events.find((x) => t - 100 >= x.start && t - 100 < x.start + x.length);
            return at(random, 100 * (e?.factor ?? 1));
          });
          const risingAt: number[] = [];
          const unlearnable = new Set<number>();
          let previous = 'normal' as Parameters<typeof learnContext>[0];
          for (const tick of ticks) {
            const ctx = learnContext(previous, tick.result);
            if (ctx.rising) risingAt.push(secondOf(tick.t));
            if (ctx.rising || rankOf(ctx.level) > 0) unlearnable.add(secondOf(tick.t));
            previous = tick.level;
          }
          runs.learned += learned.length;
          runs.rises += risingAt.length;
          for (const l of learned) {
            if (unlearnable.has(l)) return false;
            if (risingAt.some((r) => r >= l && r < l + delayS)) return false;
          }
          return true;
        },
      ),
      { numRuns: 60 },
    );
    assert.ok(runs.learned > 10_000 && runs.rises > 50, `the runs learned ${runs.learned} seconds and saw ${runs.rises} rising ticks`);
  });
});
