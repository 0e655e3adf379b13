/**
 * The detector's signals: each compares one aspect of the current snapshot with
 * the baseline and says which level it argues for. `evaluate` is run twice per tick — with the raise
 * thresholds (to enter a level) and with the lower hold thresholds (to stay in it).
 */
import { coldStartApplies, coldStartEvidence } from './cold-start.ts';
import type { ThreatLevel } from '../vocabulary.ts';
import type { BaselineMetric, BaselineView, NormalBasis } from './baseline.ts';
import type { ConcentrationThreshold, DetectorConfig, DistressThreshold, SurgeConfig, SurgeLevels, SurgeThreshold } from './detector-config.ts';
import type { Dimension } from './dimensions.ts';
import type { HeavyKey } from './heavy-hitters.ts';
import type { Snapshot } from './window-aggregates.ts';

/** What a signal is about: traffic surges, a dominant key, origin health, challenge failures, a cleared crowd. */
export type SignalKind = 'rate_surge' | 'source_surge' | 'concentration' | 'challenge_failures' | 'origin_distress' | 'flash_crowd' | 'cold_start';

/** One observation that argues for a level. */
export interface Signal {
  readonly kind: SignalKind;
  /** The level this signal alone argues for. */
  readonly suggests: Exclude<ThreatLevel, 'normal'>;
  /** Which thresholds it crossed: `raise` (enter a level) or only `hold` (stay in it). */
  readonly threshold: 'raise' | 'hold';
  /** What was measured (`uncleared_rps`, `share:prefix`, `origin_error_rate`, ...). */
  readonly metric: string;
  readonly value: number;
  /** Baseline value it was compared with (expected level, or baseline share). */
  readonly expected: number;
  /** value / expected (Infinity when the baseline is 0). */
  readonly ratio: number;
  /** Standard score against the baseline; null when not used (warm-up, shares, distress). */
  readonly z: number | null;
  /**
   * Which normal `expected` is (surge, drift and flash-crowd signals): the recent EWMA normal, or the
   * seasonal normal of this hour of the day or of the week.
   */
  readonly basis?: NormalBasis;
  /** For concentration signals: the dominant key. */
  readonly dimension?: Dimension;
  readonly key?: HeavyKey;
  /** One human sentence, for logs and incident reports. */
  readonly detail: string;
}

/** Level as a rank: 0 normal, 1 elevated, 2 under_attack. */
export type Rank = 0 | 1 | 2;
/** Threat level of each rank. */
export const LEVEL_OF_RANK: readonly ThreatLevel[] = ['normal', 'elevated', 'under_attack'];
/** Rank of a threat level. */
export function rankOf(level: ThreatLevel): Rank {
  return level === 'normal' ? 0 : level === 'elevated' ? 1 : 2;
}

/** The outcome of one evaluation. */
export interface Evaluation {
  readonly signals: Signal[];
  /** Strongest attack signal (rate, sources, concentration, challenge failures). */
  readonly attack: Rank;
  /** Origin distress: 1 distress, 2 severe. */
  readonly distress: Rank;
  /** The total rate surges but nothing points at an attack: cleared visitors are flocking in. */
  readonly flashCrowd: boolean;
  /** Level these signals argue for, combined (see `combine`), or the cold-start rule's if higher. */
  readonly target: Rank;
  /** The cold-start rule (no baseline yet) found evidence of an attack (cold-start.ts). */
  readonly coldStart: boolean;
}

type Mode = 'raise' | 'hold';

const fmt = (n: number): string => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2).replace(/\.?0+$/, '')) : '∞');

/** Evaluates every signal of `snapshot` against `baseline` with the `mode` thresholds. Pure. */
export function evaluate(snapshot: Snapshot, baseline: BaselineView, config: DetectorConfig, mode: Mode): Evaluation {
  const signals: Signal[] = [];
  const t = mode === 'raise' ? snapshot.last : snapshot.recent;
  const sec = t.seconds;
  const at = snapshot.nowMs;
  const rateSignal = surge('rate_surge', 'unclearedRps', 'uncleared_rps', t.uncleared / sec, at, baseline, config.rate, mode, config);
  const sourceSignal = surge('source_surge', 'unclearedDistinct', 'uncleared_distinct', snapshot.distinct.unclearedLast, at, baseline, config.sources, mode, config);
  const rate = push(signals, rateSignal);
  const sources = push(signals, sourceSignal);
  const answers = snapshot.recent.challengesSolved + snapshot.recent.challengesFailed;
  const failShare = answers > 0 ? snapshot.recent.challengesFailed / answers : 0;
  const failures = failShare >= config.challengeFailures.minFailureShare
    ? push(signals, surge('challenge_failures', 'challengeFailures', 'challenge_failures', t.challengesFailed / sec, at, baseline, config.challengeFailures, mode, config))
    : 0;
  let concentration: Rank = 0;
  for (const s of concentrationSignals(snapshot, baseline, config, mode)) concentration = Math.max(concentration, push(signals, s)) as Rank;
  let distress: Rank = 0;
  for (const s of distressSignals(snapshot, baseline, config, mode)) distress = Math.max(distress, push(signals, s)) as Rank;
  // A rise of rate and sources seen only against the seasonal normal is one observation (a busier hour
  // than usual), not two independent ones.
  const oneSeasonal = seasonalDrift(rateSignal) && seasonalDrift(sourceSignal);
  const kinds = (rate > 0 ? 1 : 0) + (sources > 0 && !oneSeasonal ? 1 : 0) + (failures > 0 ? 1 : 0) + (concentration > 0 ? 1 : 0);
  const attack = Math.max(rate, sources, failures, concentration) as Rank;
  let flashCrowd = false;
  if (attack === 0) {
    const crowd = flashCrowdSignal(t.requests / sec, t.cleared / sec, at, baseline, config, mode, distress);
    if (crowd !== null) {
      flashCrowd = true;
      signals.push(crowd);
    }
  }
  const target = combine(attack, kinds, distress, flashCrowd);
  if (!coldStartApplies(baseline.samples, config)) return { signals, attack, distress, flashCrowd, target, coldStart: false };
  const cold = coldStartEvidence(snapshot, config, mode);
  signals.push(...cold.signals);
  return { signals, attack: Math.max(attack, cold.rank) as Rank, distress, flashCrowd, target: Math.max(target, cold.rank) as Rank, coldStart: cold.rank > 0 };
}

/** A drift signal measured against a seasonal slot (argues for `elevated` at most). */
function seasonalDrift(s: Signal | null): boolean {
  return s !== null && s.metric.endsWith('_drift') && s.basis !== undefined && s.basis !== 'recent';
}

function push(signals: Signal[], s: Signal | null): Rank {
  if (s === null) return 0;
  signals.push(s);
  return s.suggests === 'under_attack' ? 2 : 1;
}

/**
 * Combines ranks: an attack signal sets the level, and one more independent attack signal or origin
 * distress turns `elevated` into `under_attack`. Without an attack signal, a cleared flash crowd raises
 * the level only as far as the origin's distress, and distress alone raises nothing (not an attack).
 */
export function combine(attack: Rank, kinds: number, distress: Rank, flashCrowd: boolean): Rank {
  if (attack > 0) return attack === 1 && (kinds >= 2 || distress > 0) ? 2 : attack;
  return flashCrowd ? distress : 0;
}

/** " (the hour-of-week normal for Tue 20:00 UTC)" when a seasonal slot gave the normal, else "". */
function basisNote(basis: NormalBasis, slot: string | null): string {
  return basis === 'recent' || slot === null ? '' : ` (the ${basis.replace(/_/g, '-')} normal for ${slot})`;
}

/**
 * A surge of one count: this second's value against the recent normal — the larger of the fast and slow
 * means and, when a seasonal slot is trusted, its high quantile (a regular peak is normal); then, once
 * warm, the drift test: the recent level against the long-run normal — the seasonal high quantile when
 * trusted (so a patient ramp the EWMAs followed still stands out against the usual for this hour), else
 * the slow mean; raising on a drift also needs this second's value above the drift's hold thresholds.
 * Against a seasonal slot the drift argues for `elevated` at most: a busier hour than
 * usual may be a site that grew, and elevated costs visitors nothing (signature rules with little
 * collateral); a real flood still raises `under_attack` through the surge test.
 */
function surge(
  kind: SignalKind, metric: BaselineMetric, name: string, x: number, nowMs: number,
  baseline: BaselineView, cfg: SurgeConfig, mode: Mode, config: DetectorConfig,
): Signal | null {
  if (baseline.samples < config.minBaselineSamples) return mode === 'hold' ? floorHold(kind, name, x, cfg) : null;
  const slow = baseline.expected(metric);
  const fast = baseline.recentLevel(metric);
  const season = baseline.seasonal(metric, nowMs);
  const warm = baseline.warm;
  const floors = warm || mode === 'hold' ? null : cfg.warmupMin;
  const ewma = Math.max(fast, slow);
  const seasonal = season !== null && season.high > ewma;
  const ref = seasonal ? season.high : ewma;
  const sd = Math.max(baseline.spread(metric), Math.sqrt(Math.max(ref, 1)));
  const ratio = ref > 0 ? x / ref : x > 0 ? Infinity : 1;
  const z = (x - ref) / sd;
  const rank = levelOf(x, ratio, z, warm, cfg[mode], floors);
  if (rank > 0) {
    const basis: NormalBasis = seasonal ? season.basis : 'recent';
    const detail = `${name} ${fmt(x)}/s is ${fmt(ratio)}× the baseline ${fmt(ref)}/s${basisNote(basis, season?.slot ?? null)} (z ${warm ? fmt(z) : 'n/a, warming up'})`;
    return { kind, suggests: rank === 2 ? 'under_attack' : 'elevated', threshold: mode, metric: name, value: x, expected: ref, ratio, z: warm ? z : null, basis, detail };
  }
  if (!warm) return null;
  const v = mode === 'raise' ? fast : x;
  const longRun = season !== null ? season.high : slow;
  const dsd = Math.max(sd, Math.sqrt(Math.max(longRun, 1)));
  const dRatio = longRun > 0 ? v / longRun : v > 0 ? Infinity : 1;
  const dz = (v - longRun) / dsd;
  const basis: NormalBasis = season !== null ? season.basis : 'recent';
  // A sustained rise must still be there: the recent level is frozen while the level is up, so after
  // the rise ends it would otherwise raise the level again at every step down.
  if (mode === 'raise' && levelOf(x, longRun > 0 ? x / longRun : Infinity, (x - longRun) / dsd, true, cfg.drift.hold, null) === 0) return null;
  const drift = Math.min(levelOf(v, dRatio, dz, true, cfg.drift[mode], null), basis === 'recent' ? 2 : 1);
  if (drift === 0) return null;
  const what = mode === 'raise' ? 'recent level' : 'now';
  const detail = `${name} ${what} ${fmt(v)}/s is ${fmt(dRatio)}× the long-run baseline ${fmt(longRun)}/s${basisNote(basis, season?.slot ?? null)} (z ${fmt(dz)}): a sustained rise`;
  return { kind, suggests: drift === 2 ? 'under_attack' : 'elevated', threshold: mode, metric: `${name}_drift`, value: v, expected: longRun, ratio: dRatio, z: dz, basis, detail };
}

/**
 * Too little learned to judge a surge (a fresh start, or a restart that lost its baseline): nothing is
 * raised, but a level already up (restored after a restart during an attack) is held while the value
 * stays above half the warm-up floors — silence of the baseline is not calm.
 */
function floorHold(kind: SignalKind, name: string, x: number, cfg: SurgeConfig): Signal | null {
  const rank = x >= cfg.warmupMin.underAttack / 2 ? 2 : x >= cfg.warmupMin.elevated / 2 ? 1 : 0;
  if (rank === 0) return null;
  const floor = rank === 2 ? cfg.warmupMin.underAttack / 2 : cfg.warmupMin.elevated / 2;
  return {
    kind, suggests: rank === 2 ? 'under_attack' : 'elevated', threshold: 'hold', metric: name, value: x, expected: floor, ratio: x / floor, z: null, basis: 'recent',
    detail: `${name} ${fmt(x)}/s is above the absolute hold floor ${fmt(floor)}/s (no baseline learned yet)`,
  };
}

function levelOf(x: number, ratio: number, z: number, warm: boolean, th: SurgeLevels, floors: { elevated: number; underAttack: number } | null): Rank {
  if (meets(x, ratio, z, warm, th.underAttack, floors?.underAttack ?? 0)) return 2;
  return meets(x, ratio, z, warm, th.elevated, floors?.elevated ?? 0) ? 1 : 0;
}

/** value ≥ max(min, floor), ratio ≥ t.ratio and, once warm, z ≥ t.z. */
function meets(x: number, ratio: number, z: number, warm: boolean, t: SurgeThreshold, floor: number): boolean {
  return x >= Math.max(t.min, floor) && ratio >= t.ratio && (!warm || z >= t.z);
}

/**
 * Much more traffic than the site's long-run normal (the slow EWMA, so a crowd that lasts minutes is
 * still recognised as one, or the seasonal normal of this hour when larger) with no attack signal:
 * cleared visitors are flocking in. It argues for a level only as high as the origin's distress; the
 * ratio and floor are the rate's elevated thresholds.
 */
function flashCrowdSignal(x: number, cleared: number, nowMs: number, baseline: BaselineView, config: DetectorConfig, mode: Mode, distress: Rank): Signal | null {
  if (baseline.samples < config.minBaselineSamples) return null;
  const th = config.rate[mode].elevated;
  const normal = baseline.stat('rps').n === 0 ? { value: 0, basis: 'recent' as const, slot: null } : baseline.normal('rps', nowMs);
  const ratio = normal.value > 0 ? x / normal.value : Infinity;
  if (x < th.min || ratio < th.ratio) return null;
  return {
    kind: 'flash_crowd', suggests: distress === 2 ? 'under_attack' : 'elevated', threshold: mode, metric: 'rps', value: x, expected: normal.value, ratio, z: null, basis: normal.basis,
    detail: `rps ${fmt(x)}/s is ${fmt(ratio)}× the long-run baseline ${fmt(normal.value)}/s${basisNote(normal.basis, normal.slot)} with no attack signal; cleared visitors ${fmt(cleared)}/s`,
  };
}

function concentrationSignals(snapshot: Snapshot, baseline: BaselineView, config: DetectorConfig, mode: Mode): Signal[] {
  const { heavy } = snapshot;
  if (!baseline.warm || heavy.total <= 0) return [];
  const th: ConcentrationThreshold = config.concentration[mode];
  const out: Signal[] = [];
  for (const d of config.concentration.dimensions) {
    let best: Signal | null = null;
    const list = heavy.byDimension[d];
    for (let i = 0; i < Math.min(list.length, config.concentration.topPerDimension); i++) {
      const e = list[i]!;
      const lower = Math.max(e.count - e.error, 0);
      const share = lower / heavy.total;
      const keyRps = lower / heavy.seconds;
      const b = baseline.share(d, e.key).share;
      const lift = b > 0 ? share / b : Infinity;
      if (share < th.minShare || share - b < th.minIncrease || lift < th.minLift || keyRps < th.minKeyRps) continue;
      if (best !== null && share <= best.value) continue;
      best = {
        kind: 'concentration', suggests: 'elevated', threshold: mode, metric: `share:${d}`, value: share, expected: b,
        ratio: lift, z: null, dimension: d, key: e.key,
        detail: `${d} ${String(e.key)} sends ${fmt(share * 100)}% of uncleared requests (${fmt(keyRps)}/s), baseline ${fmt(b * 100)}%`,
      };
    }
    if (best !== null) out.push(best);
  }
  return out;
}

function distressSignals(snapshot: Snapshot, baseline: BaselineView, config: DetectorConfig, mode: Mode): Signal[] {
  const r = snapshot.recent;
  const { minSamples } = config.distress;
  const { elevated, severe } = config.distress[mode];
  const errBase = baseline.warm ? baseline.expected('originErrorRate') : 0;
  const latBase = baseline.warm ? baseline.expected('latencyP99Ms') : 0;
  const out: Signal[] = [];
  if (r.originResponses >= minSamples) {
    const limitOf = (t: DistressThreshold): number => Math.max(t.errorRate, errBase + t.errorRateIncrease);
    distress(out, mode, 'error_rate', r.originErrors / r.originResponses, errBase, limitOf(elevated), limitOf(severe), '');
  }
  if (r.latencyCount >= minSamples && r.latencyP99Ms !== null) {
    const limitOf = (t: DistressThreshold): number => Math.max(t.latencyP99Ms, t.latencyRatio * latBase);
    distress(out, mode, 'latency_p99_ms', r.latencyP99Ms, latBase, limitOf(elevated), limitOf(severe), ' ms');
  }
  distress(out, mode, 'queue_length', r.queueMax, 0, elevated.queue, severe.queue, '');
  if (r.requests >= minSamples) distress(out, mode, 'shed_share', r.outcomes.shed / r.requests, 0, elevated.shedShare, severe.shedShare, '');
  return out;
}

function distress(out: Signal[], mode: Mode, metric: string, value: number, expected: number, elevated: number, severe: number, unit: string): void {
  const suggests = value >= severe ? 'under_attack' : value >= elevated ? 'elevated' : null;
  if (suggests === null) return;
  const ratio = expected > 0 ? value / expected : Infinity;
  const detail = `origin ${metric} ${fmt(value)}${unit} (limit ${fmt(elevated)}${unit}, baseline ${fmt(expected)}${unit})`;
  out.push({ kind: 'origin_distress', suggests, threshold: mode, metric, value, expected, ratio, z: null, detail });
}
