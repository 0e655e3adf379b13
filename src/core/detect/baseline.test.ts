import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBaseline, restoreBaseline, type BaselineOptions } from './baseline.ts';
import { poisson, seededRandom } from './prng.ts';
import { createSyntheticSite, type SyntheticSecond } from './synthetic-site.ts';

const T0 = 1_700_000_000_000;
const normalHeavy: SyntheticSecond['heavy'] = {
  path: [['/', 0.5], ['/news', 0.3], ['/search', 0.02]],
  asn: [[64500, 0.6], [64501, 0.3]],
};

/** Learns `seconds` synthetic seconds at normal; no learning delay unless `options` sets one. */
function learn(seconds: number, spec: (t: number) => SyntheticSecond, options: BaselineOptions = {}) {
  const baseline = createBaseline({ warmupSeconds: 100, learnDelayS: 0, ...options });
  const site = createSyntheticSite();
  for (let t = 1; t <= seconds; t++) baseline.update(site.next(spec(t), T0 + t * 1000), 'normal', T0 + t * 1000);
  return { baseline, site };
}

describe('baseline', () => {
  it('learns the rate, its noise and the shares of keys', () => {
    const random = seededRandom(1);
    const { baseline } = learn(3000, () => ({ rps: poisson(random, 200), heavy: normalHeavy }));
    const s = baseline.stat('unclearedRps');
    assert.ok(Math.abs(s.fast - 200) < 10 && Math.abs(s.slow - 200) < 10, `fast ${s.fast} slow ${s.slow}`);
    assert.ok(Math.abs(Math.sqrt(s.variance) - Math.sqrt(200)) < 4, `sd ${Math.sqrt(s.variance)}`);
    assert.ok(Math.abs(baseline.share('path', '/').share - 0.5) < 0.02);
    assert.ok(Math.abs(baseline.share('asn', 64501).share - 0.3) < 0.02);
    assert.deepEqual(baseline.share('asn', 64666), { share: 0, bound: 0 });
    assert.ok(baseline.warm);
    assert.equal(baseline.samples, 3000);
  });

  it('is frozen while the site is not normal, and learns at most once per second', () => {
    const { baseline, site } = learn(200, () => ({ rps: 100 }));
    const before = baseline.stat('unclearedRps');
    for (let t = 201; t < 400; t++) {
      assert.equal(baseline.update(site.next({ rps: 10_000 }, T0 + t * 1000), t % 2 ? 'elevated' : 'under_attack', T0 + t * 1000), false);
    }
    assert.ok(baseline.frozen);
    assert.deepEqual(baseline.stat('unclearedRps'), before);
    const snap = site.next({ rps: 100 }, T0 + 400_000);
    assert.equal(baseline.update(snap, 'normal', T0 + 400_000), true);
    assert.equal(baseline.update(snap, 'normal', T0 + 400_100), false);
  });

  it('clamps outliers once warm, so one burst or a slow ramp cannot drag it up', () => {
    const { baseline, site } = learn(200, () => ({ rps: 100 }));
    baseline.update(site.next({ rps: 100_000 }, T0 + 201_000), 'normal', T0 + 201_000);
    assert.ok(baseline.expected('unclearedRps') < 102, `${baseline.expected('unclearedRps')}`);
    for (let t = 202; t < 322; t++) baseline.update(site.next({ rps: 100 + (t - 201) * 10 }, T0 + t * 1000), 'normal', T0 + t * 1000);
    assert.ok(baseline.expected('unclearedRps') < 250, `ramp to 1300 moved the baseline to ${baseline.expected('unclearedRps')}`);
  });

  it('survives a JSON round trip and then learns exactly as the original would', () => {
    const random = seededRandom(2);
    const { baseline, site } = learn(500, () => ({ rps: poisson(random, 80), errorRate: 0.02, heavy: normalHeavy }));
    const json = JSON.parse(JSON.stringify(baseline.toJSON())) as unknown;
    const restored = restoreBaseline(json, { warmupSeconds: 100, learnDelayS: 0 }, T0 + 501_000);
    assert.deepEqual(restored.toJSON(), baseline.toJSON());
    for (let t = 501; t < 520; t++) {
      const snap = site.next({ rps: poisson(random, 80), heavy: normalHeavy }, T0 + t * 1000);
      baseline.update(snap, 'normal', T0 + t * 1000);
      restored.update(snap, 'normal', T0 + t * 1000);
    }
    assert.deepEqual(restored.toJSON(), baseline.toJSON());
    assert.equal(restored.warm, true);
    assert.equal(restored.share('path', '/news').share, baseline.share('path', '/news').share);
  });

  it('starts a new warm-up when the saved baseline is too old', () => {
    const { baseline } = learn(300, () => ({ rps: 50 }));
    const restored = restoreBaseline(baseline.toJSON(), { warmupSeconds: 100, maxAgeMs: 3_600_000 }, T0 + 300_000 + 7_200_000);
    assert.equal(restored.warm, false);
    assert.ok(Math.abs(restored.expected('unclearedRps') - 50) < 1, 'keeps the values as a start');
  });

  const broken: Array<[string, (j: Record<string, any>) => unknown]> = [
    ['not an object', () => 42],
    ['a wrong version', (j) => ({ ...j, version: 3 })],
    ['a bad ceiling', (j) => ({ ...j, metrics: { ...j.metrics, rps: { ...j.metrics.rps, ceiling: -1 } } })],
    ['a broken seasonal profile', (j) => ({ ...j, seasonal: { version: 1, day: {}, week: {} } })],
    ['a missing metric', (j) => ({ ...j, metrics: { ...j.metrics, rps: undefined } })],
    ['a NaN', (j) => ({ ...j, metrics: { ...j.metrics, rps: { ...j.metrics.rps, fast: 'x' } } })],
    ['a negative variance', (j) => ({ ...j, metrics: { ...j.metrics, rps: { ...j.metrics.rps, variance: -1 } } })],
    ['a bad share entry', (j) => ({ ...j, shares: { ...j.shares, byDimension: { ...j.shares.byDimension, path: [[{}, 1, 0]] } } })],
  ];
  for (const [what, mutate] of broken) {
    it(`refuses a persisted baseline with ${what}`, () => {
      const json = JSON.parse(JSON.stringify(createBaseline().toJSON())) as Record<string, any>;
      assert.throws(() => restoreBaseline(mutate(json), {}, T0), { code: 'BULWARK_ERR_DETECT_BASELINE_INVALID' });
    });
  }
});
