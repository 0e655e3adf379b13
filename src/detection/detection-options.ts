/**
 * From the `detection:` block (detection-schema.ts) to the core's option objects
 * (`SiteDetectorOptions` without the saved state). Surge thresholds: the operator gives the raise value;
 * hold and drift values are the defaults scaled by the same factor (module comment of the schema).
 */
import {
  DEFAULT_DETECTOR_CONFIG, type DetectorConfigInput, type SignatureConfig, type SiteDetectorOptions, type SurgeConfig, type SurgeLevels, type SurgeThreshold,
} from '../core/detect/index.ts';
import type { DetectionConfig } from '../config/detection-schema.ts';

type Knobs = DetectionConfig['detector'];
type SurgeKnobs = Knobs['rate'];

function scaled(t: SurgeThreshold, ratioFactor: number, minFactor: number): SurgeThreshold {
  return { ratio: Math.max(1, t.ratio * ratioFactor), z: t.z, min: t.min * minFactor };
}

/** A core SurgeConfig whose raise thresholds are the operator's and the rest scaled alike. */
export function surgeConfig(knobs: SurgeKnobs, defaults: SurgeConfig, warmup: { elevated: number; under_attack: number }): SurgeConfig {
  const d = defaults.raise;
  const fr = { elevated: knobs.elevated.ratio / d.elevated.ratio, underAttack: knobs.under_attack.ratio / d.underAttack.ratio };
  const fm = {
    elevated: d.elevated.min > 0 ? knobs.elevated.min / d.elevated.min : 1,
    underAttack: d.underAttack.min > 0 ? knobs.under_attack.min / d.underAttack.min : 1,
  };
  const levels = (l: SurgeLevels): SurgeLevels => ({
    elevated: scaled(l.elevated, fr.elevated, fm.elevated),
    underAttack: scaled(l.underAttack, fr.underAttack, fm.underAttack),
  });
  return {
    raise: {
      elevated: { ratio: knobs.elevated.ratio, z: d.elevated.z, min: knobs.elevated.min },
      underAttack: { ratio: knobs.under_attack.ratio, z: d.underAttack.z, min: knobs.under_attack.min },
    },
    hold: levels(defaults.hold),
    drift: { raise: levels(defaults.drift.raise), hold: levels(defaults.drift.hold) },
    warmupMin: { elevated: warmup.elevated, underAttack: warmup.under_attack },
  };
}

/** The core detector configuration of the `detection.detector` knobs. */
export function detectorConfigInput(knobs: Knobs): DetectorConfigInput {
  const d = DEFAULT_DETECTOR_CONFIG;
  return {
    rate: surgeConfig(knobs.rate, d.rate, knobs.warmup_floor.rps),
    sources: surgeConfig(knobs.sources, d.sources, knobs.warmup_floor.sources),
    coldStart: {
      enabled: knobs.cold_start.enabled,
      rps: { elevated: knobs.cold_start.rps.elevated, underAttack: knobs.cold_start.rps.under_attack },
      sources: { elevated: knobs.cold_start.sources.elevated, underAttack: knobs.cold_start.sources.under_attack },
    },
    confirmTicks: knobs.confirm_ticks,
    calmS: knobs.calm / 1000,
    minDwellS: { elevated: knobs.min_dwell.elevated / 1000, underAttack: knobs.min_dwell.under_attack / 1000 },
  };
}

/** The core signature configuration of the `detection.signatures` block. */
export function signatureConfigInput(s: DetectionConfig['signatures']): Partial<SignatureConfig> {
  return {
    shadow: s.shadow,
    ttlS: s.ttl / 1000,
    maxRules: s.max_rules,
    minAttackShare: s.min_attack_share,
    minLift: s.min_lift,
    minKeyRps: s.min_key_rps,
    maxCollateral: { ...s.max_collateral },
    applyWhileWarmingUp: s.apply_while_warming_up,
  };
}

/** Every core option of one site's detector, except the saved state (the service adds it). */
export function siteDetectorOptions(config: DetectionConfig, hashSeed: number): SiteDetectorOptions {
  return {
    aggregates: { windowSeconds: config.window.seconds, recentSeconds: config.window.recent_seconds, hashSeed },
    baseline: {
      warmupSeconds: Math.round(config.baseline.warmup / 1000),
      maxAgeMs: config.baseline.max_age,
      learnDelayS: config.baseline.learn_delay / 1000,
      growthPerHour: config.baseline.max_growth_per_hour,
      seasonal: {
        enabled: config.baseline.seasonal.enabled, minPeriods: config.baseline.seasonal.min_periods,
        quantile: config.baseline.seasonal.quantile, decay: config.baseline.seasonal.decay,
      },
    },
    detector: detectorConfigInput(config.detector),
    signatures: signatureConfigInput(config.signatures),
  };
}
