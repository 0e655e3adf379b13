/**
 * Thresholds of the detector (detector.ts, signals.ts), with defaults in one place. Every "raise"
 * threshold has a lower "hold" twin: a level is entered when the raise thresholds are crossed and kept
 * while the hold thresholds still are (hysteresis), so an attack hovering around one threshold does not
 * make the level flap.
 */
import type { Dimension } from './dimensions.ts';
import { DIMENSIONS } from './dimensions.ts';

/**
 * A per-second count surging above its baseline. All three must hold: value ≥ min (the absolute floor
 * that keeps a quiet site going from 1 to 10 req/s from being an attack), value ≥ ratio × expected, and
 * (once the baseline is warm) z = (value − expected) / σ ≥ z.
 */
export interface SurgeThreshold {
  readonly ratio: number;
  readonly z: number;
  readonly min: number;
}

/** Thresholds per level. */
export interface SurgeLevels {
  readonly elevated: SurgeThreshold;
  readonly underAttack: SurgeThreshold;
}

/**
 * Raise and hold thresholds of one surge signal, per level, for its two tests:
 * - the surge: this second's value against the recent normal max(fast, slow) — sudden floods;
 * - the drift (once warm): the recent level (fast mean; to hold: the current value) against the
 *   long-run normal (slow mean) — ramps slow enough for the fast mean to follow them.
 */
export interface SurgeConfig {
  readonly raise: SurgeLevels;
  readonly hold: SurgeLevels;
  readonly drift: { readonly raise: SurgeLevels; readonly hold: SurgeLevels };
  /** While the baseline warms up, raising also needs the value to reach these floors (z is ignored). */
  readonly warmupMin: { readonly elevated: number; readonly underAttack: number };
}

/**
 * One key suddenly dominant among uncleared requests: its guaranteed share ≥ minShare, ≥ minLift × its
 * baseline share, ≥ baseline share + minIncrease, and it sends ≥ minKeyRps requests per second.
 */
export interface ConcentrationThreshold {
  readonly minShare: number;
  readonly minIncrease: number;
  readonly minLift: number;
  readonly minKeyRps: number;
}

/**
 * Origin distress: any one of error rate ≥ max(errorRate, baseline + errorRateIncrease), latency p99 ≥
 * max(latencyP99Ms, latencyRatio × baseline p99), queue length ≥ queue, share of requests shed ≥ shedShare.
 */
export interface DistressThreshold {
  readonly errorRate: number;
  readonly errorRateIncrease: number;
  readonly latencyP99Ms: number;
  readonly latencyRatio: number;
  readonly queue: number;
  readonly shedShare: number;
}

/** Absolute floors of the cold-start rule, per level (raise; hold uses half of them). */
export interface ColdStartFloors {
  readonly elevated: number;
  readonly underAttack: number;
}

/**
 * Configuration of the cold-start rule (cold-start.ts): while fewer than `minBaselineSamples` seconds are
 * learned, a saturated origin under uncleared traffic at these floors raises the level, so a Bulwark
 * (re)started without a saved baseline in the middle of a flood does not stay `normal` throughout.
 */
export interface ColdStartConfig {
  /** Default true; false restores the old behaviour (silent until the baseline is established). */
  readonly enabled: boolean;
  /** Uncleared requests per second (this second to raise; the recent mean to hold). */
  readonly rps: ColdStartFloors;
  /** Distinct uncleared clients per second. */
  readonly sources: ColdStartFloors;
}

/**
 * Defaults: the rate floors equal the warm-up floors of the rate surge (`rate.warmupMin`, 200/1000 req/s,
 * ten times the surge's own floors), so the evidence is far above a quiet site's traffic; the source
 * floors are lower than the warm-up ones (500/2000) because they only count with a saturated origin.
 */
const DEFAULT_COLD_START: ColdStartConfig = {
  enabled: true,
  rps: { elevated: 200, underAttack: 1000 },
  sources: { elevated: 200, underAttack: 1000 },
};

/** Detector configuration (one per site; `resolveDetectorConfig` fills defaults). */
export interface DetectorConfig {
  /** Uncleared requests per second (the total rate, for flash crowds, uses the same thresholds). */
  readonly rate: SurgeConfig;
  /** Distinct uncleared clients per second. */
  readonly sources: SurgeConfig;
  /** Failed challenge answers per second, counted only when ≥ minFailureShare of answers fail. */
  readonly challengeFailures: SurgeConfig & { readonly minFailureShare: number };
  readonly concentration: {
    readonly dimensions: readonly Dimension[];
    /** Keys examined per dimension (largest first). */
    readonly topPerDimension: number;
    readonly raise: ConcentrationThreshold;
    readonly hold: ConcentrationThreshold;
  };
  readonly distress: {
    /** Origin answers (or requests, for the shed share) needed in the recent window to judge. */
    readonly minSamples: number;
    readonly raise: { readonly elevated: DistressThreshold; readonly severe: DistressThreshold };
    readonly hold: { readonly elevated: DistressThreshold; readonly severe: DistressThreshold };
  };
  /** Surge signals stay silent until the baseline has this many samples (seconds). */
  readonly minBaselineSamples: number;
  /** Until then, the cold-start rule (cold-start.ts): origin saturated + uncleared surge above floors. */
  readonly coldStart: ColdStartConfig;
  /** Consecutive ticks a higher level must be indicated before it is entered. */
  readonly confirmTicks: number;
  /** Minimum time at a level before stepping down from it (seconds). */
  readonly minDwellS: { readonly elevated: number; readonly underAttack: number };
  /** Continuous calm (hold thresholds not met) needed before each step down (seconds). */
  readonly calmS: number;
}

/** Defaults: tuned so a day of diurnal traffic with Poisson noise raises nothing (see detector.test.ts). */
export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = {
  rate: {
    raise: { elevated: { ratio: 3, z: 6, min: 20 }, underAttack: { ratio: 8, z: 12, min: 100 } },
    hold: { elevated: { ratio: 1.5, z: 3, min: 10 }, underAttack: { ratio: 4, z: 6, min: 50 } },
    drift: {
      raise: { elevated: { ratio: 4, z: 8, min: 20 }, underAttack: { ratio: 10, z: 20, min: 100 } },
      hold: { elevated: { ratio: 2, z: 4, min: 10 }, underAttack: { ratio: 5, z: 10, min: 50 } },
    },
    warmupMin: { elevated: 200, underAttack: 1000 },
  },
  sources: {
    raise: { elevated: { ratio: 3, z: 6, min: 50 }, underAttack: { ratio: 10, z: 15, min: 500 } },
    hold: { elevated: { ratio: 1.5, z: 3, min: 25 }, underAttack: { ratio: 5, z: 8, min: 250 } },
    drift: {
      raise: { elevated: { ratio: 4, z: 8, min: 50 }, underAttack: { ratio: 15, z: 20, min: 500 } },
      hold: { elevated: { ratio: 2, z: 4, min: 25 }, underAttack: { ratio: 7, z: 10, min: 250 } },
    },
    warmupMin: { elevated: 500, underAttack: 2000 },
  },
  challengeFailures: {
    raise: { elevated: { ratio: 5, z: 6, min: 10 }, underAttack: { ratio: 20, z: 12, min: 100 } },
    hold: { elevated: { ratio: 2, z: 3, min: 5 }, underAttack: { ratio: 10, z: 6, min: 50 } },
    drift: {
      raise: { elevated: { ratio: 10, z: 10, min: 10 }, underAttack: { ratio: 40, z: 20, min: 100 } },
      hold: { elevated: { ratio: 4, z: 5, min: 5 }, underAttack: { ratio: 20, z: 10, min: 50 } },
    },
    warmupMin: { elevated: 50, underAttack: 500 },
    minFailureShare: 0.5,
  },
  concentration: {
    dimensions: DIMENSIONS,
    topPerDimension: 3,
    raise: { minShare: 0.3, minIncrease: 0.2, minLift: 3, minKeyRps: 20 },
    hold: { minShare: 0.15, minIncrease: 0.1, minLift: 2, minKeyRps: 10 },
  },
  distress: {
    minSamples: 20,
    raise: {
      elevated: { errorRate: 0.1, errorRateIncrease: 0.05, latencyP99Ms: 1000, latencyRatio: 3, queue: 100, shedShare: 0.01 },
      severe: { errorRate: 0.5, errorRateIncrease: 0.3, latencyP99Ms: 5000, latencyRatio: 10, queue: 1000, shedShare: 0.2 },
    },
    hold: {
      elevated: { errorRate: 0.05, errorRateIncrease: 0.02, latencyP99Ms: 500, latencyRatio: 2, queue: 50, shedShare: 0.005 },
      severe: { errorRate: 0.25, errorRateIncrease: 0.15, latencyP99Ms: 2500, latencyRatio: 5, queue: 500, shedShare: 0.1 },
    },
  },
  minBaselineSamples: 30,
  coldStart: DEFAULT_COLD_START,
  confirmTicks: 1,
  minDwellS: { elevated: 30, underAttack: 60 },
  calmS: 30,
};

/** Partial configuration: any nested field may be left out (arrays are replaced, not merged). */
export type DetectorConfigInput = DeepPartial<DetectorConfig>;
type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> } : T;

/** Fills every missing field of `input` from DEFAULT_DETECTOR_CONFIG. */
export function resolveDetectorConfig(input: DetectorConfigInput = {}): DetectorConfig {
  return deepMerge(DEFAULT_DETECTOR_CONFIG, input) as DetectorConfig;
}

function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return patch;
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge((base as Record<string, unknown>)[k], v);
  return out;
}
