/**
 * What normal looks like for one site, learned from per-second snapshots — in a way an attacker cannot
 * teach:
 *  - per metric (request rate, uncleared rate, distinct clients, origin error rate, latency p99,
 *    challenge failures): a fast EWMA (default half-life 60 s: the recent level), a slow EWMA (1 h: the
 *    long-run normal) and the noise σ, winsorised and growth-capped (ew-stat.ts: the learned normal
 *    rises at most ×2 per hour of learning, `growthPerHour`);
 *  - per time slot (seasonal-profile.ts): quantiles of the rates per hour of the day and of the week, so
 *    a regular evening peak is normal and the same surge at 3 a.m. is not;
 *  - per dimension: the share of uncleared traffic of each key (baseline-shares.ts), which signature
 *    rules use to estimate their collateral.
 *
 * Learning with a delay (learning-queue.ts): a second enters the baseline only once it is
 * `learnDelayS` old (default 30 s) and no level rise came since it was queued; nothing is queued, and
 * everything queued is thrown away, while the level is above `normal`, while a rise is being indicated
 * or while an incident is open. So the first seconds of an attack — before the level rose — and the
 * seconds of an incident's calm period never become normal.
 *
 * Until `warmupSeconds` samples are learned the baseline reports `warm: false` (no clamping, no cap) and
 * the detector falls back to its configured floors. `toJSON` / `restoreBaseline` persist it across
 * restarts (the seconds still waiting are not persisted).
 */
import type { ThreatLevel } from '../vocabulary.ts';
import type { Dimension } from './dimensions.ts';
import { DIMENSIONS } from './dimensions.ts';
import type { HeavyKey } from './heavy-hitters.ts';
import type { Snapshot } from './window-aggregates.ts';
import { parseBaselineJson, type BaselineJson } from './baseline-json.ts';
import { createShareSummaries, shareSampleOf, type ShareEstimate, type ShareSample } from './baseline-shares.ts';
import { alpha, emptyStat, learnStat, type EwStat, type MutableStat, type StatParams } from './ew-stat.ts';
import { createLearningQueue, type LearningQueueStats } from './learning-queue.ts';
import { createSeasonalProfile, SEASONAL_METRICS, type SeasonalBasis, type SeasonalMetric, type SeasonalOptions, type SeasonalProfile, type SeasonalReference } from './seasonal-profile.ts';

export type { BaselineJson } from './baseline-json.ts';
export type { EwStat } from './ew-stat.ts';
export type { ShareEstimate } from './baseline-shares.ts';

/** Learned metrics. Counts are per second; rates are fractions; latency is in ms. */
export const BASELINE_METRICS = ['rps', 'unclearedRps', 'distinct', 'unclearedDistinct', 'originErrorRate', 'latencyP99Ms', 'challengeFailures'] as const;
/** One learned metric's name. */
export type BaselineMetric = (typeof BASELINE_METRICS)[number];

/** Metrics that are event counts per second, whose noise is at least Poisson (σ ≥ √mean). */
const COUNT_METRICS: ReadonlySet<BaselineMetric> = new Set(['rps', 'unclearedRps', 'distinct', 'unclearedDistinct', 'challengeFailures']);
const SEASONAL: ReadonlySet<string> = new Set(SEASONAL_METRICS);

/** The normal a figure was compared with: the recent (EWMA) normal, or a seasonal slot's. */
export type NormalBasis = 'recent' | SeasonalBasis;

/** The long-run normal of a metric at a time, and which baseline gave it. */
export interface NormalFigure {
  readonly value: number;
  readonly basis: NormalBasis;
  /** The seasonal slot (e.g. `Tue 20:00 UTC`) when the basis is seasonal, else null. */
  readonly slot: string | null;
}

/** How learning went: the delay, the queue, the growth cap. */
export interface LearningStats extends LearningQueueStats {
  readonly delayS: number;
  /** The learned normal's growth cap, as a factor per hour of learning. */
  readonly growthPerHour: number;
  /** Samples the growth cap clipped (per metric, summed). */
  readonly capped: number;
  /** Values the seasonal slots clipped to their growth cap. */
  readonly seasonalCapped: number;
  /** The last second learned (epoch seconds), or null. */
  readonly lastLearnedSecond: number | null;
}

/** Read-only view of a baseline, as the detector and signature proposals use it. */
export interface BaselineView {
  /** Seconds learned (updates applied). */
  readonly samples: number;
  /** samples ≥ warmupSeconds: learned values are trusted. */
  readonly warm: boolean;
  /** The last update learned nothing new because the site was not normal (or a rise, or an incident). */
  readonly frozen: boolean;
  stat(metric: BaselineMetric): EwStat;
  /** The long-run normal: the slow mean, at most the growth ceiling once warm (0 before any sample). */
  expected(metric: BaselineMetric): number;
  /** The recent normal: the fast mean, at most the growth ceiling once warm (0 before any sample). */
  recentLevel(metric: BaselineMetric): number;
  /** Standard deviation with floors (√expected for counts, 0.02 for error rates, 10% or 5 ms for latency). */
  spread(metric: BaselineMetric): number;
  /** Share of baseline uncleared traffic that had this key. */
  share(dimension: Dimension, key: HeavyKey): ShareEstimate;
  /** The trusted seasonal normal of a metric at nowMs, or null (not a seasonal metric, or no slot ready). */
  seasonal(metric: BaselineMetric, nowMs: number): SeasonalReference | null;
  /** The long-run normal at nowMs: the larger of the slow mean and the seasonal high quantile. */
  normal(metric: BaselineMetric, nowMs: number): NormalFigure;
  learning(): LearningStats;
  /** The seasonal profile, for the detection view. */
  readonly profile: Pick<SeasonalProfile, 'view' | 'stats' | 'enabled'>;
}

/** What the site looked like at the tick that learns (or not) its second. */
export interface LearnContext {
  readonly level: ThreatLevel;
  /** The level rose this tick, or a rise is being indicated (not yet confirmed). */
  readonly rising?: boolean;
  /** An incident is open for the site. */
  readonly incidentOpen?: boolean;
}

/** A learning baseline. */
export interface Baseline extends BaselineView {
  /**
   * Queues this tick's second (at most one per 500 ms) when the context allows learning, discards the
   * queue when it does not, and learns the queued seconds that are old enough. A bare level is read as
   * `{ level }`. Returns whether any second was learned.
   */
  update(snapshot: Snapshot, context: ThreatLevel | LearnContext, nowMs: number): boolean;
  /** A plain JSON object to persist (`restoreBaseline` reads it back). */
  toJSON(): BaselineJson;
}

/** Half-lives, capacity, warm-up, clamping, learning delay, growth cap and seasons of a baseline. */
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
  /** Seconds a second waits before it is learned (0: at once). Default 30, at most 3600. */
  readonly learnDelayS?: number;
  /** The learned normal rises at most this factor per hour of learning (≥ 1; Infinity: no cap). Default 2. */
  readonly growthPerHour?: number;
  /** The seasonal profile (its growth defaults to growthPerHour). */
  readonly seasonal?: SeasonalOptions;
  /** Called with the epoch second of each second learned (tests, tracing). */
  readonly onLearn?: (second: number) => void;
}

const DEFAULTS = {
  fastHalfLifeS: 60, slowHalfLifeS: 3600, varianceHalfLifeS: 600, shareHalfLifeS: 3600, shareCapacity: 256,
  warmupSeconds: 600, clampZ: 4, maxAgeMs: 7 * 86_400_000, learnDelayS: 30, growthPerHour: 2,
} as const;

type ResolvedOptions = Required<Omit<BaselineOptions, 'seasonal' | 'onLearn'>> & Pick<BaselineOptions, 'seasonal' | 'onLearn'>;

/** One second waiting to be learned. */
interface PendingSecond {
  readonly second: number;
  readonly atMs: number;
  readonly values: ReadonlyArray<number | null>;
  readonly shares: ShareSample;
}

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

/** The lowest ceiling of a metric: a near-zero normal may still grow to this at once. */
function ceilingFloor(m: BaselineMetric): number {
  return COUNT_METRICS.has(m) ? 1 : m === 'originErrorRate' ? 0.01 : 10;
}

function buildBaseline(o: ResolvedOptions, saved: BaselineJson | null): Baseline {
  const growth = o.growthPerHour >= 1 ? o.growthPerHour : 1;
  const params: StatParams = {
    aFast: alpha(o.fastHalfLifeS), aSlow: alpha(o.slowHalfLifeS), aVar: alpha(o.varianceHalfLifeS), clampZ: o.clampZ,
    growthPerSample: Number.isFinite(growth) ? growth ** (1 / 3600) : Infinity,
  };
  const delayS = Math.min(3600, Math.max(0, o.learnDelayS));
  const stats = {} as Record<BaselineMetric, MutableStat>;
  for (const m of BASELINE_METRICS) stats[m] = saved ? { ...emptyStat(), ...saved.metrics[m] } : emptyStat();
  const shares = createShareSummaries({ decay: 1 - alpha(o.shareHalfLifeS), capacity: o.shareCapacity }, saved?.shares ?? null);
  const profile = createSeasonalProfile({ growth: Number.isFinite(growth) ? growth : 1e9, ...o.seasonal }, saved?.seasonal ?? undefined);
  const queue = createLearningQueue<PendingSecond>(Math.ceil(delayS) + 10);
  let samples = saved?.samples ?? 0;
  let lastUpdateMs = saved?.lastUpdateMs ?? -Infinity;
  let lastQueuedMs = -Infinity;
  let lastLearnedSecond: number | null = null;
  let frozen = false;
  let capped = 0;

  const warm = (): boolean => samples >= o.warmupSeconds;

  // Once warm, the normal the detector reads is held under the growth ceiling: the means may run ahead
  // of it by one noise band (the winsorising band), the reported normal may not.
  function expected(m: BaselineMetric): number {
    const s = stats[m];
    return s.n === 0 ? 0 : warm() ? Math.min(s.slow, s.ceiling) : s.slow;
  }

  function recentLevel(m: BaselineMetric): number {
    const s = stats[m];
    return warm() ? Math.min(s.fast, s.ceiling) : s.fast;
  }

  function spread(m: BaselineMetric): number {
    const sd = Math.sqrt(stats[m].variance);
    const e = expected(m);
    if (COUNT_METRICS.has(m)) return Math.max(sd, Math.sqrt(Math.max(e, recentLevel(m), 1)));
    if (m === 'originErrorRate') return Math.max(sd, 0.02);
    return Math.max(sd, 0.1 * e, 5);
  }

  function seasonal(m: BaselineMetric, nowMs: number): SeasonalReference | null {
    return SEASONAL.has(m) ? profile.reference(m as SeasonalMetric, nowMs) : null;
  }

  function learnSecond(p: PendingSecond): void {
    const isWarm = warm();
    BASELINE_METRICS.forEach((m, i) => {
      const v = p.values[i];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      if (learnStat(stats[m], v, params, isWarm, spread(m), ceilingFloor(m))) capped++;
      if (SEASONAL.has(m)) profile.learn(m as SeasonalMetric, v, p.second * 1000, isWarm ? stats[m].ceiling : null);
    });
    shares.learn(p.shares);
    samples++;
    lastUpdateMs = p.atMs;
    lastLearnedSecond = p.second;
    o.onLearn?.(p.second);
  }

  return {
    get samples() {
      return samples;
    },
    get warm() {
      return warm();
    },
    get frozen() {
      return frozen;
    },
    stat: (m) => ({ ...stats[m] }),
    expected,
    recentLevel,
    spread,
    share: (dimension, key) => shares.share(dimension, key),
    seasonal,
    normal(m, nowMs) {
      const slow = expected(m);
      const s = seasonal(m, nowMs);
      return s !== null && s.high > slow ? { value: s.high, basis: s.basis, slot: s.slot } : { value: slow, basis: 'recent', slot: null };
    },
    learning: () => ({ ...queue.stats(), delayS, growthPerHour: growth, capped, seasonalCapped: profile.stats().capped, lastLearnedSecond }),
    profile,
    update(snapshot, context, nowMs) {
      const c: LearnContext = typeof context === 'string' ? { level: context } : context;
      if (c.level !== 'normal' || c.rising === true || c.incidentOpen === true) {
        frozen = true;
        queue.discard();
        return false;
      }
      frozen = false;
      if (nowMs - lastQueuedMs >= 500) {
        const values = measure(snapshot);
        queue.push(nowMs, { second: snapshot.second, atMs: nowMs, values: BASELINE_METRICS.map((m) => values[m]), shares: shareSampleOf(snapshot) });
        lastQueuedMs = nowMs;
      }
      const ready = queue.release(nowMs, delayS * 1000);
      for (const p of ready) learnSecond(p);
      return ready.length > 0;
    },
    toJSON() {
      const metrics = {} as Record<BaselineMetric, EwStat>;
      for (const m of BASELINE_METRICS) metrics[m] = { ...stats[m] };
      return {
        version: 2,
        savedMs: Number.isFinite(lastUpdateMs) ? lastUpdateMs : 0,
        samples,
        lastUpdateMs: Number.isFinite(lastUpdateMs) ? lastUpdateMs : null,
        metrics,
        shares: shares.toJSON(),
        seasonal: profile.enabled ? profile.toJSON() : null,
      };
    },
  };
}
