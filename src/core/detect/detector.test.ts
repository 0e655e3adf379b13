import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createScenario, levelChanges, type Scenario } from './detector-scenario.ts';
import type { BaselineOptions } from './baseline.ts';
import { setOverride } from './detector.ts';
import { poisson, seededRandom } from './prng.ts';
import type { SyntheticSecond } from './synthetic-site.ts';

/** A healthy news site: ~100 uncleared and ~30 cleared req/s, ~35 distinct clients a second. */
function normalTraffic(seed: number, scale = 1): (t: number) => SyntheticSecond {
  const random = seededRandom(seed);
  return () => ({
    rps: poisson(random, 100 * scale),
    clearedRps: poisson(random, 30 * scale),
    distinct: poisson(random, 35 * scale),
    latencyP99Ms: 80 + 20 * random(),
    challengesSolved: poisson(random, 3),
    challengesFailed: poisson(random, 0.3),
    heavy: {
      prefix: [['203.0.113.0/24', 0.05], ['192.0.2.0/24', 0.04]],
      asn: [[64500, 0.5], [64501, 0.3]],
      path: [['/', 0.5], ['/news', 0.3]],
      fingerprint: [['chrome', 0.6], ['firefox', 0.3]],
      country: [['DE', 0.8]],
    },
  });
}

const FLOOD_HEAVY: SyntheticSecond['heavy'] = {
  prefix: Array.from({ length: 8 }, (_, i) => [`127.0.${i}.0/24`, 0.12] as const),
  asn: [[64666, 0.9]],
  path: [['/', 0.95]],
  fingerprint: [['botkit', 0.9]],
};

/** A scenario whose baseline learned `seconds` of normal traffic (asserting no alarm meanwhile). */
function warmed(seconds = 900, seed = 1, baseline: BaselineOptions = {}): { s: Scenario; normal: (t: number) => SyntheticSecond } {
  const s = createScenario({ baseline });
  const normal = normalTraffic(seed);
  const ticks = s.run(seconds, normal);
  assert.deepEqual(levelChanges(ticks), [], 'no alarm while learning normal traffic');
  assert.ok(s.baseline.warm);
  return { s, normal };
}

describe('detector scenarios', () => {
  it('a sudden many-source flood: under_attack on the first tick, frozen baseline, step-down after calm', () => {
    const { s, normal } = warmed();
    const expectedBefore = s.baseline.expected('unclearedRps');
    const flood = s.run(120, () => ({ rps: 5000, distinct: 2000, clearedRps: 30, heavy: FLOOD_HEAVY }));
    assert.equal(flood[0]!.level, 'under_attack');
    assert.ok(flood.every((t) => t.level === 'under_attack'));
    const kinds = new Set(flood[0]!.result.signals.map((x) => x.kind));
    for (const k of ['rate_surge', 'source_surge', 'concentration'] as const) assert.ok(kinds.has(k), `missing ${k}`);
    assert.ok(flood[0]!.result.reasons.some((r) => r.startsWith('raised normal → under_attack')));
    assert.equal(s.baseline.expected('unclearedRps'), expectedBefore, 'the flood was not learned');
    const after = s.run(200, normal);
    const changes = levelChanges(after, 'under_attack');
    assert.deepEqual(changes.map(([, , to]) => to), ['elevated', 'normal']);
    assert.ok(changes[0]![0] - flood.at(-1)!.t >= 30, 'calm period respected');
    assert.ok(changes[1]![0] - flood.at(-1)!.t <= 90, `back to normal at +${changes[1]![0] - flood.at(-1)!.t} s`);
  });

  it('a slow ramp is caught while still moderate and escalates', () => {
    const { s } = warmed();
    const random = seededRandom(3);
    const start = s.t;
    const ramp = s.run(600, (t) => {
      const rate = 100 + 5 * (t - start);
      return { rps: poisson(random, rate), distinct: poisson(random, rate * 0.35), clearedRps: 30 };
    });
    const first = ramp.find((t) => t.level !== 'normal');
    assert.ok(first !== undefined, 'ramp never detected');
    const rateAtDetection = 100 + 5 * (first.t - start);
    assert.ok(rateAtDetection <= 500, `detected only at ${rateAtDetection} req/s`);
    assert.equal(ramp.at(-1)!.level, 'under_attack');
    assert.ok(s.baseline.expected('unclearedRps') < 150, 'the ramp did not become the new normal');
  });

  const hourRamp = (s: Scenario, seed: number) => {
    const random = seededRandom(seed);
    const start = s.t;
    const ramp = s.run(1200, (t) => {
      const rate = 100 + 2900 * ((t - start) / 3600);
      return { rps: poisson(random, rate), distinct: poisson(random, rate * 0.35), clearedRps: 30 };
    });
    const first = ramp.find((t) => t.level !== 'normal');
    assert.ok(first !== undefined, 'hour-long ramp never detected');
    return { first, rate: 100 + 2900 * ((first.t - start) / 3600) };
  };

  it('a ramp over an hour, slow enough for an uncapped recent normal to follow, is caught by the drift test', () => {
    const { s } = warmed(3600, 1, { growthPerHour: Infinity });
    const { first, rate } = hourRamp(s, 9);
    assert.ok(first.result.signals.some((x) => x.metric.endsWith('_drift')), first.result.reasons.join('; '));
    assert.ok(rate <= 1000, 'caught before 10× the normal rate');
  });

  it('the same ramp against the growth cap: the learned normal cannot follow, so the surge test catches it sooner', () => {
    const uncapped = hourRamp(warmed(3600, 1, { growthPerHour: Infinity }).s, 9);
    const { s } = warmed(3600);
    const { first, rate } = hourRamp(s, 9);
    assert.ok(first.result.signals.some((x) => x.kind === 'rate_surge' && !x.metric.endsWith('_drift')), first.result.reasons.join('; '));
    assert.ok(rate < uncapped.rate, `caught at ${rate.toFixed(0)} req/s, uncapped at ${uncapped.rate.toFixed(0)} req/s`);
    assert.ok(rate <= 500, `caught at ${rate.toFixed(0)} req/s`);
  });

  it('a flash crowd of cleared visitors raises the level only while the origin is in distress', () => {
    const { s, normal } = warmed();
    const random = seededRandom(4);
    const crowd = (extra: Partial<SyntheticSecond>) => (t: number): SyntheticSecond => ({ ...normal(t), clearedRps: poisson(random, 2000), ...extra });
    const healthy = s.run(300, crowd({}));
    assert.ok(healthy.every((t) => t.level === 'normal'), 'healthy origin: no alarm');
    assert.ok(healthy.slice(1).every((t) => t.result.clearedFlashCrowd));
    assert.ok(healthy[5]!.result.reasons.some((r) => r.includes('flash crowd of cleared visitors and a healthy origin')));
    const distressed = s.run(120, crowd({ latencyP99Ms: 3000, errorRate: 0.15 }));
    assert.equal(distressed[0]!.level, 'elevated');
    assert.ok(distressed.every((t) => t.level === 'elevated' && t.result.clearedFlashCrowd));
    assert.ok(distressed[0]!.result.reasons.some((r) => r.includes('keep cleared visitors passing')));
    assert.ok(!distressed.some((t) => t.result.signals.some((x) => x.kind === 'rate_surge' || x.kind === 'source_surge')));
    const severe = s.run(60, crowd({ latencyP99Ms: 8000, errorRate: 0.6 }));
    assert.equal(severe[0]!.level, 'under_attack');
    const calm = s.run(200, normal);
    assert.equal(calm.at(-1)!.level, 'normal');
  });

  it('an oscillating attack holds the level instead of flapping', () => {
    const { s, normal } = warmed();
    const on = () => ({ rps: 3000, distinct: 1000, heavy: FLOOD_HEAVY });
    const start = s.t;
    const ticks = s.run(400, (t) => (Math.floor((t - start - 1) / 20) % 2 === 0 ? on() : normal(t)));
    assert.deepEqual(levelChanges(ticks).map(([t, , to]) => [t - start, to]), [[1, 'under_attack']]);
    const after = s.run(200, normal);
    assert.deepEqual(levelChanges(after, 'under_attack').map(([, , to]) => to), ['elevated', 'normal']);
  });

  it('a rate hovering around the raise threshold enters elevated once and stays there', () => {
    const { s } = warmed();
    const random = seededRandom(5);
    const ticks = s.run(300, (t) => ({ rps: poisson(random, t % 6 < 3 ? 280 : 330), distinct: poisson(random, 35) }));
    const changes = levelChanges(ticks);
    assert.equal(changes.length, 1, JSON.stringify(changes));
    assert.equal(changes[0]![2], 'elevated');
  });

  it('a quiet site going from 1 to 10 req/s is not an attack', () => {
    const s = createScenario();
    const random = seededRandom(6);
    s.run(900, () => ({ rps: poisson(random, 1), distinct: poisson(random, 1) }));
    const ticks = s.run(120, () => ({ rps: poisson(random, 10), distinct: poisson(random, 8) }));
    assert.deepEqual(levelChanges(ticks), []);
  });

  it('origin distress without a traffic change raises nothing, but says so', () => {
    const { s, normal } = warmed();
    const ticks = s.run(60, (t) => ({ ...normal(t), errorRate: 0.6, latencyP99Ms: 9000 }));
    assert.deepEqual(levelChanges(ticks), []);
    assert.ok(ticks[0]!.result.signals.some((x) => x.kind === 'origin_distress' && x.suggests === 'under_attack'));
    assert.ok(ticks[0]!.result.reasons.includes('origin in distress without any attack signal: not treated as an attack'));
  });

  it('a surge of failed challenge answers raises the level', () => {
    const { s, normal } = warmed();
    const ticks = s.run(10, (t) => ({ ...normal(t), challengesFailed: 300, challengesSolved: 3 }));
    assert.notEqual(ticks[0]!.level, 'normal');
    assert.ok(ticks[0]!.result.signals.some((x) => x.kind === 'challenge_failures'));
  });
});

describe('warm-up', () => {
  it('stays silent for the first samples, then uses floors and ratios but no z-scores or concentration', () => {
    const s = createScenario();
    const random = seededRandom(7);
    const busy = s.run(29, () => ({ rps: poisson(random, 5000), distinct: poisson(random, 1500) }));
    assert.deepEqual(levelChanges(busy), [], 'a busy site starting up is not an attack');
    assert.ok(busy[0]!.result.warmingUp && busy[0]!.result.reasons.some((r) => r.startsWith('baseline warming up')));
    const quiet = createScenario();
    quiet.run(200, () => ({ rps: poisson(random, 30), distinct: poisson(random, 10) }));
    const moderate = quiet.run(20, () => ({ rps: poisson(random, 150), distinct: poisson(random, 10), heavy: { prefix: [['198.51.100.0/24', 0.7]] } }));
    assert.deepEqual(levelChanges(moderate), [], 'below the warm-up floor of 200 req/s');
    assert.ok(!moderate.some((t) => t.result.signals.some((x) => x.kind === 'concentration')));
    quiet.run(500, () => ({ rps: poisson(random, 30), distinct: poisson(random, 10) }));
    assert.ok(quiet.baseline.warm);
    const same = quiet.run(20, () => ({ rps: poisson(random, 150), distinct: poisson(random, 10), heavy: { prefix: [['198.51.100.0/24', 0.7]] } }));
    assert.equal(same[0]!.level, 'under_attack', 'once warm: rate surge plus concentration');
    assert.ok(same[0]!.result.signals.some((x) => x.kind === 'concentration' && x.key === '198.51.100.0/24'));
  });

  it('still catches a big flood during warm-up', () => {
    const s = createScenario();
    const random = seededRandom(8);
    s.run(100, () => ({ rps: poisson(random, 300), distinct: poisson(random, 100) }));
    const flood = s.run(5, () => ({ rps: 5000, distinct: 3000 }));
    assert.equal(flood[0]!.level, 'under_attack');
    assert.ok(flood[0]!.result.warmingUp);
  });
});

describe('manual override', () => {
  it('wins while valid, freezes learning, and expires back to the automatic level', () => {
    const { s, normal } = warmed();
    const samples = s.baseline.samples;
    s.state = setOverride(s.state, { level: 'under_attack', untilMs: s.nowMs() + 60_000, by: 'ops' }, s.nowMs());
    const during = s.run(59, normal);
    assert.ok(during.every((t) => t.level === 'under_attack' && t.result.overridden));
    assert.ok(during[0]!.result.reasons.some((r) => r.includes('by ops') && r.includes('automatic level: normal')));
    assert.equal(s.baseline.samples, samples, 'no learning while overridden to under_attack');
    const expiry = s.run(1, normal)[0]!;
    assert.equal(expiry.level, 'normal');
    assert.ok(expiry.result.changed && !expiry.result.overridden);
    assert.ok(expiry.result.reasons.some((r) => r.includes('expired')));
    assert.throws(() => setOverride(s.state, { level: 'elevated', untilMs: s.nowMs() }, s.nowMs()), { code: 'BULWARK_ERR_DETECT_OVERRIDE' });
  });

  it('an override to normal during an attack hands back to the attack level on expiry', () => {
    const { s } = warmed();
    const flood = () => ({ rps: 5000, distinct: 2000, heavy: FLOOD_HEAVY });
    s.run(5, flood);
    s.state = setOverride(s.state, { level: 'normal', untilMs: s.nowMs() + 30_000 }, s.nowMs());
    const ticks = s.run(31, flood);
    assert.ok(ticks.slice(0, 29).every((t) => t.level === 'normal' && t.result.state.autoLevel === 'under_attack'));
    assert.equal(ticks.at(-1)!.level, 'under_attack');
  });
});
