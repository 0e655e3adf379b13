import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DETECTOR_CONFIG, DEFAULT_SIGNATURE_CONFIG, resolveDetectorConfig, resolveSignatureConfig } from '../core/detect/index.ts';
import { detectorConfigInput, signatureConfigInput, siteDetectorOptions } from './detection-options.ts';
import { defaultDetectionConfig, detectionSchema } from '../config/detection-schema.ts';

describe('detection config', () => {
  it('defaults to exactly the core defaults', () => {
    const c = defaultDetectionConfig();
    assert.deepEqual(resolveDetectorConfig(detectorConfigInput(c.detector)), DEFAULT_DETECTOR_CONFIG);
    assert.deepEqual(resolveSignatureConfig(signatureConfigInput(c.signatures)), DEFAULT_SIGNATURE_CONFIG);
    const o = siteDetectorOptions(c, 42);
    assert.deepEqual(o.aggregates, { windowSeconds: 10, recentSeconds: 3, hashSeed: 42 });
    assert.deepEqual(o.baseline, {
      warmupSeconds: 600, maxAgeMs: 7 * 86_400_000, learnDelayS: 30, growthPerHour: 2, seasonal: { enabled: true, minPeriods: 2, quantile: 0.95, decay: 0.5 },
    });
    assert.equal(c.restore.max_age, 300_000);
  });

  it('scales hold and drift thresholds with the raise thresholds an operator sets', () => {
    const c = detectionSchema.parse({ detector: { rate: { elevated: { ratio: 6, min: 40 }, under_attack: { ratio: 16, min: 300 } } } });
    const d = resolveDetectorConfig(detectorConfigInput(c.detector));
    assert.deepEqual(d.rate.raise.elevated, { ratio: 6, z: 6, min: 40 });
    assert.deepEqual(d.rate.hold.elevated, { ratio: 3, z: 3, min: 20 });
    assert.deepEqual(d.rate.hold.underAttack, { ratio: 8, z: 6, min: 150 });
    assert.deepEqual(d.rate.drift.raise.elevated, { ratio: 8, z: 8, min: 40 });
    for (const l of ['elevated', 'underAttack'] as const) {
      assert.ok(d.rate.hold[l].ratio <= d.rate.raise[l].ratio && d.rate.hold[l].min <= d.rate.raise[l].min, 'hold never above raise');
    }
    assert.deepEqual(d.sources, DEFAULT_DETECTOR_CONFIG.sources, 'other signals untouched');
  });

  it('maps the cold-start floors onto the core', () => {
    const c = detectionSchema.parse({ detector: { cold_start: { rps: { elevated: 300 }, sources: { under_attack: 5000 } } } });
    const d = resolveDetectorConfig(detectorConfigInput(c.detector));
    assert.deepEqual(d.coldStart, { enabled: true, rps: { elevated: 300, underAttack: 1000 }, sources: { elevated: 200, underAttack: 5000 } });
    const off = detectionSchema.parse({ detector: { cold_start: { enabled: false } } });
    assert.equal(resolveDetectorConfig(detectorConfigInput(off.detector)).coldStart.enabled, false);
  });

  it('reads durations in the config units', () => {
    const c = detectionSchema.parse({ detector: { calm: '1m', min_dwell: { under_attack: '2m' } }, incidents: { calm: '90s' }, retention: '7d' });
    const d = resolveDetectorConfig(detectorConfigInput(c.detector));
    assert.equal(d.calmS, 60);
    assert.deepEqual(d.minDwellS, { elevated: 30, underAttack: 120 });
    assert.equal(c.incidents.calm, 90_000);
    assert.equal(c.retention, 7 * 86_400_000);
  });

  const invalid: Array<[string, unknown, string]> = [
    ['unknown key', { detector: { ratio: 3 } }, 'detector'],
    ['under_attack below elevated', { detector: { rate: { elevated: { ratio: 5 }, under_attack: { ratio: 4 } } } }, 'detector.rate.under_attack.ratio'],
    ['share above 1', { signatures: { max_collateral: { block: 2 } } }, 'signatures.max_collateral.block'],
    ['recent window longer than the window', { window: { seconds: 5, recent_seconds: 6 } }, 'window.recent_seconds'],
    ['bad duration', { incidents: { calm: 'soon' } }, 'incidents.calm'],
    ['a growth cap below 1', { baseline: { max_growth_per_hour: 0.5 } }, 'baseline.max_growth_per_hour'],
    ['a learning delay above an hour', { baseline: { learn_delay: '2h' } }, 'baseline.learn_delay'],
    ['a cold-start floor of 0', { detector: { cold_start: { rps: { elevated: 0 } } } }, 'detector.cold_start.rps.elevated'],
    ['a cold-start under_attack floor below elevated', { detector: { cold_start: { sources: { elevated: 500, under_attack: 400 } } } }, 'detector.cold_start.sources.under_attack'],
    ['an unknown cold-start key', { detector: { cold_start: { queue: 10 } } }, 'detector.cold_start'],
    ['an unknown seasonal key', { baseline: { seasonal: { hours: 24 } } }, 'baseline.seasonal'],
  ];
  for (const [name, input, path] of invalid) {
    it(`refuses ${name}`, () => {
      const r = detectionSchema.safeParse(input);
      assert.equal(r.success, false);
      assert.ok(r.error!.issues.some((i) => i.path.join('.').startsWith(path) || (i.path.join('.') === path.split('.').slice(0, -1).join('.'))), JSON.stringify(r.error!.issues));
    });
  }
});
