/**
 * The JSON an incident stores in its `summary`, `actions` and `visitors` fields, with stable
 * snake_case field names: what `bulwark incidents show --json` and the admin API print, and what a
 * restarted Bulwark reads back to continue an incident. Also the conversion of `summary` to the core's
 * `IncidentSummary`, which `compareIncidents` (recurrence) works on.
 *
 * `summary.top.<dimension>` entries have `key`, `share` (of the incident's uncleared requests) and
 * `count` (estimated requests), the shape the store's privacy functions expect (`top.address` is the
 * address-level source data retention removes).
 */
import { DIMENSIONS, type Dimension, type IncidentSummary, type KeyShare } from '../core/detect/index.ts';
import type { Outcome, ThreatLevel } from '../core/vocabulary.ts';

/** Field name of each dimension in the stored JSON. */
export const DIMENSION_FIELD: Readonly<Record<Dimension, string>> = {
  address: 'address', prefix: 'prefix', asn: 'asn', country: 'country', path: 'path', userAgent: 'user_agent', fingerprint: 'fingerprint',
};

/** One top key of an incident. */
export interface TopEntryJson {
  readonly key: string | number;
  /** Share of the incident's uncleared requests (guaranteed part of the heavy-hitter count). */
  readonly share: number;
  /** Estimated uncleared requests with this key. */
  readonly count: number;
}

/** Signals that raised or held the level, first time each was seen. */
export interface SignalJson {
  readonly kind: string;
  readonly metric: string;
  readonly suggests: string;
  readonly first_seen_ms: number;
  readonly detail: string;
}

/** `summary`: where the attack came from, what it looked like, how big and how long. */
export interface SummaryJson {
  readonly version: 1;
  /** What opened the incident: the detector, or an operator override. */
  readonly trigger: 'detector' | 'override';
  /** Uncleared requests the top shares are of (estimate). */
  readonly uncleared_requests: number;
  readonly top: Readonly<Record<string, readonly TopEntryJson[]>>;
  /**
   * Bottom-k sketch (hashes) of the uncleared source prefixes of the whole incident: compares the
   * networks of two incidents even when no single source stands out (core/detect/kmv.ts).
   */
  readonly source_signature?: readonly number[];
  readonly rate: { readonly peak_rps: number; readonly mean_rps: number; readonly duration_s: number; readonly ramp_s: number };
  readonly peak_distinct_per_second: number;
  /**
   * The site's normal when the incident opened: the long-run normal the detector compared with — the
   * baseline's slow means, or the seasonal normal of that hour when larger (`basis`, `slot` say which;
   * absent in incidents recorded before seasonal baselines) — and how the baseline learned.
   */
  readonly baseline: BaselineSummaryJson | null;
  /** End of the last second above normal. */
  readonly ended_at_ms: number | null;
  readonly abnormal_seconds: number;
  readonly severity_score: number;
  readonly severity_reasons: readonly string[];
  readonly signals: readonly SignalJson[];
  /** Seconds of the incident Bulwark did not observe (down between a stop and a restart). */
  readonly gap_seconds: number;
}

/** The `baseline` of a summary (see SummaryJson). */
export interface BaselineSummaryJson {
  readonly rps: number;
  readonly uncleared_rps: number;
  readonly distinct_per_second: number;
  readonly warm: boolean;
  /** `recent` (the EWMA slow mean), `hour_of_day` or `hour_of_week` (a seasonal slot's high quantile). */
  readonly basis?: string;
  /** The seasonal slot, e.g. `Tue 20:00 UTC`, when the basis is seasonal. */
  readonly slot?: string | null;
  /** The recent baseline's rps (slow mean), whatever the basis. */
  readonly recent_rps?: number;
  readonly growth_per_hour?: number;
  readonly learn_delay_s?: number;
}

/** One level change during the incident. */
export interface LevelChangeJson {
  readonly at_ms: number;
  readonly from: ThreatLevel;
  readonly to: ThreatLevel;
  readonly by: 'detector' | 'override';
  readonly reason: string;
}

/** A signature rule's evidence item. */
export interface EvidenceJson {
  readonly dimension: string;
  readonly key: string | number;
  readonly attack_share: number;
  readonly baseline_share: number;
  /** attack_share ÷ baseline_share; null when the baseline share is 0. */
  readonly lift: number | null;
  readonly rps: number;
}

/** A signature rule proposed during the incident, with its evidence and effect. */
export interface RuleJson {
  readonly id: string;
  readonly action: string;
  /** Latest mode: `apply` (enforced) or `log_only`. */
  readonly mode: string;
  readonly match: Readonly<Record<string, string | number>>;
  readonly rate_limit_rps: number | null;
  readonly collateral: number;
  readonly collateral_bound: number;
  readonly attack_share: number;
  readonly level: string;
  readonly first_seen_ms: number;
  readonly last_seen_ms: number;
  /** First time it was in force (mode apply), or null if only logged. */
  readonly applied_ms: number | null;
  readonly expires_ms: number;
  readonly retired_ms: number | null;
  readonly retired_reason: string | null;
  readonly reason: string;
  readonly evidence: readonly EvidenceJson[];
  /** Requests decided by this rule (decisions named by the rule id). */
  readonly requests: number;
}

/** `actions`: every action taken and its effect. */
export interface ActionsJson {
  readonly level_changes: readonly LevelChangeJson[];
  readonly level_changes_dropped: number;
  readonly rules: readonly RuleJson[];
  readonly rules_dropped: number;
  /** Every request of the incident by outcome. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Requests refused or held back: dropped + challenged + limited + blocked + tarpitted + shed. */
  readonly mitigated_requests: number;
  /** Requests by what decided them (`level/under_attack`, `sig/…`, `limit/<name>`, `ban`, ...). */
  readonly by_decision: Readonly<Record<string, number>>;
}

/** `visitors`: what real (cleared) visitors experienced. */
export interface VisitorsJson {
  readonly cleared_requests: number;
  readonly cleared_served: number;
  readonly cleared_success_rate: number | null;
  readonly cleared_origin_latency_p50_ms: number | null;
  readonly cleared_origin_latency_p99_ms: number | null;
  /** Sparse log histogram (4 buckets per power of two, bucket b ≤ 2^(b/4) ms) as [bucket, count]. */
  readonly cleared_latency_histogram: ReadonlyArray<readonly [number, number]>;
  readonly challenges_issued: number;
  readonly challenges_solved: number;
  readonly challenges_failed: number;
  /** solved ÷ issued, capped at 1; null when none issued. */
  readonly challenge_solve_rate: number | null;
  readonly origin_responses: number;
  readonly origin_errors: number;
}

/** Outcomes that mean a request was refused or held back by Bulwark. */
export const MITIGATED_OUTCOMES: readonly Outcome[] = ['dropped', 'challenged', 'limited', 'blocked', 'tarpitted', 'shed'];

const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The core summary of a stored `summary`, or null when it has none (e.g. not written by this version). */
export function coreSummaryOf(summary: unknown): IncidentSummary | null {
  const s = obj(summary);
  if (s.version !== 1) return null;
  const top = obj(s.top);
  const rate = obj(s.rate);
  const byDim = {} as Record<Dimension, KeyShare[]>;
  for (const d of DIMENSIONS) {
    byDim[d] = arr(top[DIMENSION_FIELD[d]])
      .map((e) => obj(e))
      .filter((e) => typeof e.key === 'string' || typeof e.key === 'number')
      .map((e) => ({ key: e.key as string | number, share: num(e.share) }));
  }
  return {
    version: 1,
    totalRequests: num(s.uncleared_requests),
    top: byDim,
    rate: { peakRps: num(rate.peak_rps), meanRps: num(rate.mean_rps), durationS: num(rate.duration_s), rampS: num(rate.ramp_s) },
  };
}

/** Reads a stored `actions` back (missing parts empty), to continue an incident after a restart. */
export function parseActions(v: unknown): ActionsJson {
  const a = obj(v);
  const counts = (x: unknown) => Object.fromEntries(Object.entries(obj(x)).filter(([, n]) => typeof n === 'number' && Number.isFinite(n))) as Record<string, number>;
  return {
    level_changes: arr(a.level_changes).filter((x) => typeof obj(x).to === 'string') as LevelChangeJson[],
    level_changes_dropped: num(a.level_changes_dropped),
    rules: arr(a.rules).filter((x) => typeof obj(x).id === 'string') as RuleJson[],
    rules_dropped: num(a.rules_dropped),
    outcomes: counts(a.outcomes),
    mitigated_requests: num(a.mitigated_requests),
    by_decision: counts(a.by_decision),
  };
}

/** Reads a stored `visitors` back (missing parts zero). */
export function parseVisitors(v: unknown): VisitorsJson {
  const x = obj(v);
  const hist = arr(x.cleared_latency_histogram)
    .filter((p): p is [number, number] => Array.isArray(p) && p.length === 2 && Number.isInteger(p[0]) && p[0] >= 0 && p[0] < 1000 && num(p[1]) > 0)
    .map(([b, c]) => [b, c] as const);
  const nullable = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? n : null);
  return {
    cleared_requests: num(x.cleared_requests),
    cleared_served: num(x.cleared_served),
    cleared_success_rate: nullable(x.cleared_success_rate),
    cleared_origin_latency_p50_ms: nullable(x.cleared_origin_latency_p50_ms),
    cleared_origin_latency_p99_ms: nullable(x.cleared_origin_latency_p99_ms),
    cleared_latency_histogram: hist,
    challenges_issued: num(x.challenges_issued),
    challenges_solved: num(x.challenges_solved),
    challenges_failed: num(x.challenges_failed),
    challenge_solve_rate: nullable(x.challenge_solve_rate),
    origin_responses: num(x.origin_responses),
    origin_errors: num(x.origin_errors),
  };
}

/** Reads the parts of a stored `summary` a continued incident carries on from. */
export function parseSummaryCarry(v: unknown): { trigger: 'detector' | 'override'; peakDistinct: number; baseline: SummaryJson['baseline']; abnormalSeconds: number; signals: SignalJson[]; gapSeconds: number } {
  const s = obj(v);
  const b = obj(s.baseline);
  return {
    trigger: s.trigger === 'override' ? 'override' : 'detector',
    peakDistinct: num(s.peak_distinct_per_second),
    baseline: s.baseline === null || s.baseline === undefined ? null : {
      rps: num(b.rps), uncleared_rps: num(b.uncleared_rps), distinct_per_second: num(b.distinct_per_second), warm: b.warm === true,
      ...(typeof b.basis === 'string' ? { basis: b.basis, slot: typeof b.slot === 'string' ? b.slot : null } : {}),
      ...(typeof b.recent_rps === 'number' ? { recent_rps: b.recent_rps } : {}),
      ...(typeof b.growth_per_hour === 'number' ? { growth_per_hour: b.growth_per_hour } : {}),
      ...(typeof b.learn_delay_s === 'number' ? { learn_delay_s: b.learn_delay_s } : {}),
    },
    abnormalSeconds: num(s.abnormal_seconds),
    signals: arr(s.signals).filter((x) => typeof obj(x).kind === 'string') as SignalJson[],
    gapSeconds: num(s.gap_seconds),
  };
}

/** The source-prefix sketch stored in a summary, or [] (older incidents, or none recorded). */
export function sourceSignatureOf(summary: unknown): number[] {
  const sig = (summary as { source_signature?: unknown } | null)?.source_signature;
  return Array.isArray(sig) ? sig.filter((x): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0) : [];
}
