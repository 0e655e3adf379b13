/**
 * What normal looks like for one site (issue #6, "Baselines"), learned every second from snapshots:
 *  - per metric (request rate, uncleared rate, distinct clients, origin error rate, latency p99,
 *    challenge failures): a fast EWMA (default half-life 60 s: the recent level), a slow EWMA (1 h: the
 *    long-run normal the detector compares with) and the noise σ, estimated from successive differences
 *    (σ² = EW mean of ½(xₜ − xₜ₋₁)², 10 min half-life), which a daily curve or a ramp barely inflates —
 *    a variance around a moving mean would grow with every ramp and hide it;
 *  - per dimension: the share of uncleared traffic of each key, as a slowly decaying Space-Saving summary
 *    (1 h half-life), which signature rules use to estimate their collateral.
 *
 * Learning is frozen while the site is not `normal`, so an attack never becomes the new normal; and once
 * warm, each sample is clamped to max(fast, slow) ± clampZ·σ before it is learned (a winsorised EWMA),
 * so the fast mean follows a change by at most clampZ·σ·α_fast per second, and the slow mean lags a
 * ramp the fast one follows — which the detector's drift test (fast vs slow) catches.
 * Until `warmupSeconds` samples are learned the baseline reports `warm: false` and the detector falls
 * back to its configured floors. `toJSON` / `restoreBaseline` persist it across restarts.
 */
import type { ThreatLevel } from '../vocabulary.ts';
import { DIMENSIONS, byDimension, type ByDimension, type Dimension } from './dimensions.ts';
import { createSpaceSaving, type HeavyKey, type SpaceSaving } from './heavy-hitters.ts';
import type { Snapshot } from './window-aggregates.ts';
import { parseBaselineJson, type BaselineJson } from './baseline-json.ts';

export type { BaselineJson } from './baseline-json.ts';

/** Learned metrics. Counts are per second; rates are fractions; latency is in ms. */
export const BASELINE_METRICS = ['rps', 'unclearedRps', 'distinct', 'unclearedDistinct', 'originErrorRate', 'latencyP99Ms', 'challengeFailures'] as const;
/** One learned metric's name. */
export type BaselineMetric = (typeof BASELINE_METRICS)[number];

/** Metrics that are event counts per second, whose noise is at least Poisson (σ ≥ √mean). */
const COUNT_METRICS: ReadonlySet<BaselineMetric> = new Set(['rps', 'unclearedRps', 'distinct', 'unclearedDistinct', 'challengeFailures']);

/**
 * Exponentially weighted statistics of one metric: fast and slow means, noise variance (from successive
 * differences), n = samples learned, last = the last (clamped) sample learned.
 */
export interface EwStat {
  readonly fast: number;
  readonly slow: number;
  readonly variance: number;
  readonly n: number;
  readonly last: number;
}

/** A key's share of baseline uncleared traffic: `share` is the estimate, `bound` an upper bound. */
export interface ShareEstimate {
  readonly share: number;
  readonly bound: number;
}

/** Read-only view of a baseline, as the detector and signature proposals use it. */
export interface BaselineView {
  /** Seconds learned (updates applied). */
  readonly samples: number;
  /** samples ≥ warmupSeconds: learned values are trusted. */
  readonly warm: boolean;
  /** The last update was skipped because the site was not normal. */
  readonly frozen: boolean;
  stat(metric: BaselineMetric): EwStat;
  /** The long-run normal: the slow mean (0 before any sample). */
  expected(metric: BaselineMetric): number;
  /** The recent normal: the fast mean (0 before any sample). */
  recentLevel(metric: BaselineMetric): number;
  /** Standard deviation with floors (√expected for counts, 0.02 for error rates, 10% or 5 ms for latency). */
  spread(metric: BaselineMetric): number;
  /** Share of baseline uncleared traffic that had this key. */
  share(dimension: Dimension, key: HeavyKey): ShareEstimate;
}

/** A learning baseline. */
export interface Baseline extends BaselineView {
  /** Learns one snapshot (at most once per second) unless level ≠ normal; returns whether it learned. */
  update(snapshot: Snapshot, level: ThreatLevel, nowMs: number): boolean;
  /** A plain JSON object to persist (`restoreBaseline` reads it back). */
  toJSON(): BaselineJson;
}

/** Half-lives, capacity, warm-up and clamping of a baseline (defaults in the comments). */
export interface BaselineOptions {
  readonly fastHalfLifeS?: number; // 60
  readonly slowHalfLifeS?: number; // 3600
  readonly varianceHalfLifeS?: number; // 600
  readonly shareHalfLifeS?: number; // 3600
  /** Keys remembered per dimension for shares. Default 256. */
  readonly shareCapacity?: number;
  /** Samples before the baseline is trusted. Default 600 (10 min). */
  readonly warmupSeconds?: number;
  /** Samples are clamped to expected ± clampZ·σ once warm. Default 4. */
  readonly clampZ?: number;
  /** A persisted baseline older than this restarts the warm-up (values kept as a start). Default 7 days. */
  readonly maxAgeMs?: number;
}

const DEFAULTS = {
  fastHalfLifeS: 60, slowHalfLifeS: 3600, varianceHalfLifeS: 600, shareHalfLifeS: 3600, shareCapacity: 256,
  warmupSeconds: 600, clampZ: 4, maxAgeMs: 7 * 86_400_000,
} as const;

interface MutableStat { fast: number; slow: number; variance: number; n: number; last: number }

/** The value of each metric in a snapshot, or null when not measurable (no origin answers...). */
export function measure(snapshot: Snapshot): Record<BaselineMetric, number | null> {
  const { last, recent } = snapshot;
  return {
    rps: last.requests / last.seconds,
    unclearedRps: last.uncleared / last.seconds,
    distinct: snapshot.distinct.last,
    unclearedDistinct: snapshot.distinct.unclearedLast,
    originErrorRate: recent.originResponses >= 10 ? recent.originErrors / recent.originResponses : null,
    latencyP99Ms: recent.latencyCount >= 10 ? recent.latencyP99Ms : null,
    challengeFailures: last.challengesFailed / last.seconds,
  };
}

/** Creates an empty baseline (warm-up starts now). */
export function createBaseline(options: BaselineOptions = {}): Baseline {
  return buildBaseline({ ...DEFAULTS, ...options }, null);
}

/**
 * Rebuilds a baseline from `toJSON` output (`BULWARK_ERR_DETECT_BASELINE_INVALID` if malformed). If it
 * was saved more than maxAgeMs before nowMs, the warm-up starts again from the saved values.
 */
export function restoreBaseline(json: unknown, options: BaselineOptions, nowMs: number): Baseline {
  const o = { ...DEFAULTS, ...options };
  const parsed = parseBaselineJson(json, BASELINE_METRICS, DIMENSIONS);
  const stale = nowMs - parsed.savedMs > o.maxAgeMs;
  return buildBaseline(o, stale ? { ...parsed, samples: 0 } : parsed);
}

function alpha(halfLifeS: number): number {
  return 1 - 2 ** (-1 / Math.max(halfLifeS, 1e-9));
}

function buildBaseline(o: Required<BaselineOptions>, saved: BaselineJson | null): Baseline {
  const aFast = alpha(o.fastHalfLifeS);
  const aSlow = alpha(o.slowHalfLifeS);
  const aVar = alpha(o.varianceHalfLifeS);
  const shareDecay = 1 - alpha(o.shareHalfLifeS);
  const stats = {} as Record<BaselineMetric, MutableStat>;
  for (const m of BASELINE_METRICS) stats[m] = saved ? { ...saved.metrics[m] } : { fast: 0, slow: 0, variance: 0, n: 0, last: 0 };
  const shares: ByDimension<SpaceSaving> = byDimension(() => createSpaceSaving({ capacity: o.shareCapacity }));
  const tail: Record<Dimension, number> = byDimension((d) => saved?.shares.tail[d] ?? 0);
  let shareTotal = saved?.shares.total ?? 0;
  if (saved) for (const d of DIMENSIONS) shares[d].load(saved.shares.byDimension[d].map(([key, count, error]) => ({ key, count, error })), shareTotal);
  let samples = saved?.samples ?? 0;
  let lastUpdateMs = saved?.lastUpdateMs ?? -Infinity;
  let frozen = false;

  function expected(m: BaselineMetric): number {
    const s = stats[m];
    return s.n === 0 ? 0 : s.slow;
  }

  function spread(m: BaselineMetric): number {
    const sd = Math.sqrt(stats[m].variance);
    const e = expected(m);
    if (COUNT_METRICS.has(m)) return Math.max(sd, Math.sqrt(Math.max(e, stats[m].fast, 1)));
    if (m === 'originErrorRate') return Math.max(sd, 0.02);
    return Math.max(sd, 0.1 * e, 5);
  }

  function learnMetric(m: BaselineMetric, value: number): void {
    const s = stats[m];
    if (s.n === 0) {
      s.fast = s.slow = s.last = value;
      s.n = 1;
      return;
    }
    let x = value;
    if (samples >= o.warmupSeconds) {
      const e = Math.max(s.fast, s.slow);
      const band = o.clampZ * spread(m);
      x = Math.min(Math.max(x, e - band), e + band);
    }
    // Until 1/n drops below a half-life's alpha, average cumulatively: an EWMA started from its first
    // sample would otherwise remember that sample for hours (the slow one has a 1 h half-life).
    const early = 1 / (s.n + 1);
    const d = x - s.last;
    const av = Math.max(aVar, early);
    s.variance += av * (0.5 * d * d - s.variance);
    s.fast += Math.max(aFast, early) * (x - s.fast);
    s.slow += Math.max(aSlow, early) * (x - s.slow);
    s.last = x;
    s.n++;
  }


  function learnShares(snapshot: Snapshot): void {
    const { heavy } = snapshot;
    const scale = 1 / Math.max(heavy.seconds, 1);
    shareTotal = shareTotal * shareDecay + heavy.total * scale;
    for (const d of DIMENSIONS) {
      const summary = shares[d];
      summary.decay(shareDecay);
      const list = heavy.byDimension[d];
      for (const e of list) if (e.count > 0) summary.offer(e.key, e.count * scale);
      const smallest = list.length >= heavy.topK && heavy.total > 0 ? list[list.length - 1]! : null;
      const t = smallest ? (smallest.count + smallest.error) / heavy.total : 0;
      tail[d] = tail[d] * shareDecay + (1 - shareDecay) * t;
    }
  }

  return {
    get samples() {
      return samples;
    },
    get warm() {
      return samples >= o.warmupSeconds;
    },
    get frozen() {
      return frozen;
    },
    stat: (m) => ({ ...stats[m] }),
    expected,
    recentLevel: (m) => stats[m].fast,
    spread,
    share(dimension, key) {
      if (!(shareTotal > 0)) return { share: 0, bound: 1 };
      const summary = shares[dimension];
      const e = summary.get(key);
      if (e !== undefined) return { share: Math.min(e.count / shareTotal, 1), bound: Math.min((e.count + e.error) / shareTotal, 1) };
      return { share: 0, bound: Math.min(Math.max(summary.min() / shareTotal, tail[dimension]), 1) };
    },
    update(snapshot, level, nowMs) {
      if (level !== 'normal') {
        frozen = true;
        return false;
      }
      frozen = false;
      if (nowMs - lastUpdateMs < 500) return false;
      const values = measure(snapshot);
      for (const m of BASELINE_METRICS) {
        const v = values[m];
        if (v !== null && Number.isFinite(v)) learnMetric(m, v);
      }
      learnShares(snapshot);
      samples++;
      lastUpdateMs = nowMs;
      return true;
    },
    toJSON() {
      const metrics = {} as Record<BaselineMetric, EwStat>;
      for (const m of BASELINE_METRICS) metrics[m] = { ...stats[m] };
      return {
        version: 1,
        savedMs: Number.isFinite(lastUpdateMs) ? lastUpdateMs : 0,
        samples,
        lastUpdateMs: Number.isFinite(lastUpdateMs) ? lastUpdateMs : null,
        metrics,
        shares: {
          total: shareTotal,
          tail: { ...tail },
          byDimension: byDimension((d) => shares[d].entries().map((e) => [e.key, e.count, e.error] as [HeavyKey, number, number])),
        },
      };
    },
  };
}
