/**
 * No false alarm over a simulated day (86,400 one-second ticks) of normal variation: a diurnal curve,
 * Poisson noise from a seeded PRNG, a newsletter bump, a night-time crawler, a deploy that makes the
 * origin fail for two minutes, noisy heavy-hitter shares — and the same for a very quiet site. Then a
 * campaign site with a regular evening peak over days: the peak stays normal, and a slow ramp at night,
 * slower than the baseline's growth cap, is caught against the usual for that hour.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createScenario, levelChanges, type Scenario } from './detector-scenario.ts';
import { gaussian, poisson, seededRandom } from './prng.ts';
import type { SyntheticSecond } from './synthetic-site.ts';
import type { HeavyKey } from './heavy-hitters.ts';

const DAY = 86_400;
const HOUR = 3600;

/** Traffic shape over the day, 0..1: lowest around 04:00, highest in the afternoon and evening. */
function diurnal(t: number): number {
  const h = (t % DAY) / HOUR;
  return Math.min(1, Math.max(0, 0.55 - 0.45 * Math.cos((2 * Math.PI * (h - 4)) / 24) + 0.1 * Math.sin((4 * Math.PI * h) / 24)));
}

/** A newsletter sent at 09:00: +90% over five minutes, decaying over the next twenty. */
function newsletter(t: number): number {
  const s = t - 9 * HOUR;
  if (s < 0) return 1;
  return s < 300 ? 1 + 0.9 * (s / 300) : 1 + 0.9 * Math.exp(-(s - 300) / 1200);
}

function noisyShares(random: () => number, shares: ReadonlyArray<readonly [HeavyKey, number]>): Array<readonly [HeavyKey, number]> {
  return shares.map(([k, v]) => [k, Math.max(0, v * (1 + 0.15 * gaussian(random)))] as const);
}

const PREFIXES = Array.from({ length: 20 }, (_, i) => [`10.${i}.0.0/24`, 0.12 / (i + 1)] as const);

function newsSite(seed: number): (t: number) => SyntheticSecond {
  const random = seededRandom(seed);
  return (t) => {
    const lambda = (20 + 160 * diurnal(t)) * newsletter(t);
    const crawler = t >= 3 * HOUR && t < 3 * HOUR + 600 ? 12 : 0;
    const rps = poisson(random, lambda) + crawler;
    const deploy = t >= 14 * HOUR && t < 14 * HOUR + 120;
    return {
      rps,
      clearedRps: poisson(random, lambda * 0.3),
      distinct: poisson(random, lambda * 0.35) + (crawler > 0 ? 1 : 0),
      latencyP99Ms: (80 + 0.3 * lambda) * Math.exp(0.25 * gaussian(random)),
      errorRate: deploy ? 0.2 : 0.005,
      challengesSolved: poisson(random, lambda * 0.02),
      challengesFailed: poisson(random, lambda * 0.005),
      heavy: {
        prefix: [...noisyShares(random, PREFIXES), ...(crawler > 0 ? [['66.249.66.0/24', crawler / rps] as const] : [])],
        asn: noisyShares(random, [[3320, 0.35], [6805, 0.2], [3209, 0.15], [8881, 0.1]]),
        country: noisyShares(random, [['DE', 0.75], ['AT', 0.1], ['CH', 0.08]]),
        path: noisyShares(random, [['/', 0.35], ['/news/a', 0.1], ['/news/b', 0.08], ['/search', 0.03]]),
        userAgent: noisyShares(random, [['Mozilla/5.0 Chrome', 0.55], ['Mozilla/5.0 Firefox', 0.2]]),
        fingerprint: noisyShares(random, [['chrome', 0.55], ['firefox', 0.2], ['safari', 0.2], ['curl', 0.05]]),
      },
    };
  };
}

describe('a simulated day', () => {
  it('raises no alarm on a news site with a diurnal curve, noise, a newsletter, a crawler and a failing deploy', () => {
    const s = createScenario();
    const ticks = s.run(DAY, newsSite(42));
    assert.equal(ticks.length, DAY);
    assert.deepEqual(levelChanges(ticks), []);
    const raised = ticks.filter((t) => t.result.signals.some((x) => x.kind !== 'origin_distress'));
    assert.deepEqual(raised.map((t) => t.result.signals.map((x) => x.detail)).slice(0, 3), []);
    const deploy = ticks.filter((t) => t.result.signals.some((x) => x.kind === 'origin_distress'));
    assert.ok(deploy.length >= 100 && deploy.every((t) => t.t >= 14 * HOUR && t.t <= 14 * HOUR + 125), 'distress seen only during the deploy');
    assert.ok(s.baseline.warm);
  });

  it('raises no alarm on a very quiet site with bursts from one reader', () => {
    const random = seededRandom(43);
    const s = createScenario();
    const ticks = s.run(DAY, (t) => {
      const reading = t % 7200 < 30;
      const lambda = 0.2 + 2.8 * diurnal(t);
      return {
        rps: poisson(random, lambda) + (reading ? 10 : 0),
        distinct: poisson(random, lambda * 0.5) + (reading ? 1 : 0),
        heavy: reading ? { prefix: [['192.0.2.0/24', 0.8]], path: [['/article', 0.6]] } : {},
      };
    });
    assert.deepEqual(levelChanges(ticks), []);
  });
});

/** A campaign's evening: from 20:00 traffic rises ×2.5 within 20 minutes, holds until 22:00, falls back by 22:30. */
function evening(t: number): number {
  const s = (t % DAY) - 20 * HOUR;
  if (s < 0 || s > 2.5 * HOUR) return 1;
  if (s < 1200) return 1 + 1.5 * (s / 1200);
  return s < 2 * HOUR ? 2.5 : 2.5 - 1.5 * ((s - 2 * HOUR) / 1800);
}

/** A campaign site: 20–120 req/s over the day, the evening peak, Poisson noise; `extra(t)` multiplies it. */
function campaignSite(seed: number, extra: (t: number) => number = () => 1): (t: number) => SyntheticSecond {
  const random = seededRandom(seed);
  return (t) => {
    const lambda = (20 + 100 * diurnal(t)) * evening(t) * extra(t);
    return { rps: poisson(random, lambda), distinct: poisson(random, lambda * 0.35), clearedRps: poisson(random, lambda * 0.3) };
  };
}

describe('seasons', () => {
  /** Midnight UTC, so the simulated hours are the seasonal profile's hours. */
  const MIDNIGHT = Date.UTC(2026, 2, 2);

  it('a regular evening peak raises nothing; a ramp at night slower than the growth cap is caught against the usual for that hour', () => {
    const s: Scenario = createScenario({ t0Ms: MIDNIGHT });
    const days = s.run(2 * DAY, campaignSite(44));
    assert.deepEqual(levelChanges(days), [], 'two days with the evening peak: no alarm');
    const slots = s.baseline.profile.view('unclearedRps').hourOfDay;
    const [evening, night] = [slots[20]!, slots[2]!];
    assert.equal(evening.slot, '20:00 UTC');
    assert.ok(evening.high! > 2 * night.high!, `the evening normal (${evening.high}) is not the night's (${night.high})`);
    const saved = s.baseline.toJSON();

    // ×10 over four hours from midnight (×1.8 an hour, under the growth cap), then back to normal.
    const start = s.t;
    const ramp = (t: number): number => (t - start < 4 * HOUR ? 10 ** ((t - start) / (4 * HOUR)) : 1);
    const ticks = s.run(6 * HOUR, campaignSite(45, ramp));
    const first = ticks.find((t) => t.level !== 'normal');
    assert.ok(first !== undefined, 'the night ramp was never detected');
    assert.ok(ramp(first.t) <= 8, `detected at ×${ramp(first.t).toFixed(1)}`);
    assert.ok(first.result.signals.some((x) => x.basis === 'hour_of_day' && x.metric.endsWith('_drift')), first.result.reasons.join('; '));
    assert.equal(ticks.at(-1)!.level, 'normal', 'and back to normal once it ended');
    assert.ok(levelChanges(ticks).length <= 3, `no flapping: ${JSON.stringify(levelChanges(ticks))}`);

    // The same night against the recent normal alone (no seasonal profile): the growth-capped EWMAs
    // follow a ramp this slow, so nothing stands out.
    const bare = createScenario({ t0Ms: MIDNIGHT + 2 * DAY * 1000, savedBaseline: saved, baseline: { seasonal: { enabled: false } } });
    const offset = 2 * DAY;
    assert.deepEqual(levelChanges(bare.run(6 * HOUR, (t) => campaignSite(45, (u) => ramp(u + offset))(t + offset))), []);
  });
});
