/**
 * The detection service's view for `/stats` and `GET /detection` (snake_case, stable): per site the
 * threat level and why, the signals of the last second, the baseline's state — the normal the detector
 * compares with now and which baseline gave it, the learning delay and queue, the growth cap, the
 * seasonal reference of this hour (and, for `GET /detection`, every hour's quantiles) — the active
 * signature rules with their evidence, the open incident, and fill levels.
 */
import { SEASONAL_METRICS, type BaselineView, type Signal, type SignatureRule, type SlotView } from '../core/detect/index.ts';
import type { ThreatLevel } from '../core/vocabulary.ts';
import { DIMENSION_FIELD } from '../incidents/incident-json.ts';
import type { OpenIncidentInfo } from '../incidents/incident-tracker.ts';
import type { SiteEntry } from './site-entry.ts';

/** A signature rule as the admin API shows it. */
export interface RuleView {
  readonly id: string;
  readonly action: string;
  readonly mode: string;
  readonly match: Record<string, string | number>;
  readonly rate_limit_rps: number | null;
  readonly collateral: number;
  readonly attack_share: number;
  readonly created_ms: number;
  readonly expires_ms: number;
  readonly reason: string;
  readonly evidence: ReadonlyArray<{ dimension: string; key: string | number; attack_share: number; baseline_share: number; lift: number | null; rps: number }>;
}

/** One site's detection state. */
export interface SiteDetectionView {
  readonly level: ThreatLevel;
  readonly auto_level: ThreatLevel;
  readonly since_ms: number;
  readonly override: { level: ThreatLevel; until_ms: number; by: string | null } | null;
  readonly warming_up: boolean;
  readonly cleared_flash_crowd: boolean;
  readonly baseline: BaselineViewJson;
  readonly last_second: { requests: number; uncleared: number; distinct: number } | null;
  readonly signals: ReadonlyArray<{ kind: string; suggests: string; threshold: string; metric: string; value: number; expected: number; basis: string | null; detail: string }>;
  readonly reasons: readonly string[];
  readonly active_rules: readonly RuleView[];
  readonly incident: { id: string | null; opened_at_ms: number } | null;
  /**
   * What the detector sees now among uncleared clients: per dimension (address, prefix, asn, country,
   * path, user_agent, fingerprint) the top keys of the last seconds with their requests per second and
   * share (guaranteed part: count − error). Empty before the first tick.
   */
  readonly top: Readonly<Record<string, ReadonlyArray<{ key: string | number; rps: number; share: number }>>>;
  readonly aggregates: { events: number; late_events: number; heavy_entries: number; heavy_capacity: number; fixed_bytes: number; decision_keys: number; decision_overflow: number };
}

/** What to include beyond the compact view. */
export interface DetectionViewOptions {
  /** Every hour-of-day and hour-of-week slot's quantiles (`GET /detection`; not in `/stats`, polled every second). */
  readonly seasonal?: boolean;
}

/** One seasonal slot: the quantiles (per second) of the earlier periods the reference reads. */
export interface SlotViewJson {
  readonly slot: string;
  readonly periods: number;
  readonly samples: number;
  readonly current_samples: number;
  readonly ready: boolean;
  readonly rps: { readonly median: number | null; readonly high: number | null };
  readonly uncleared_rps: { readonly median: number | null; readonly high: number | null };
  readonly uncleared_distinct: { readonly median: number | null; readonly high: number | null };
}

/** A site's baseline as the admin API shows it. */
export interface BaselineViewJson {
  readonly samples: number;
  readonly warm: boolean;
  /** Long-run normals (slow means, held under the growth ceiling). */
  readonly rps: number;
  readonly uncleared_rps: number;
  readonly distinct_per_second: number;
  /** The recent normal (fast mean, held under the growth ceiling). */
  readonly recent_uncleared_rps: number;
  /** The normal the detector compares uncleared traffic with now, and which baseline gave it. */
  readonly normal: { readonly uncleared_rps: number; readonly basis: string; readonly slot: string | null };
  readonly learning: {
    readonly delay_s: number; readonly pending: number; readonly capacity: number; readonly discarded: number; readonly dropped: number;
    readonly frozen: boolean; readonly last_learned_ms: number | null;
  };
  readonly growth_cap: { readonly per_hour: number; readonly capped_samples: number; readonly seasonal_capped: number; readonly ceiling_uncleared_rps: number };
  readonly seasonal: {
    readonly enabled: boolean;
    /** The reference of the current hour, or null when no slot is trusted yet. */
    readonly now: { readonly basis: string; readonly slot: string; readonly uncleared_rps_median: number; readonly uncleared_rps_high: number } | null;
    readonly slots_with_data: number;
    readonly entries: number;
    readonly hour_of_day?: readonly SlotViewJson[];
    readonly hour_of_week?: readonly SlotViewJson[];
  };
}

/** The baseline view (see BaselineViewJson) at nowMs. */
export function baselineView(b: BaselineView, nowMs: number, options: DetectionViewOptions = {}): BaselineViewJson {
  const l = b.learning();
  const normal = b.normal('unclearedRps', nowMs);
  const ref = b.seasonal('unclearedRps', nowMs);
  const fill = b.profile.stats();
  const table = (pick: 'hourOfDay' | 'hourOfWeek'): SlotViewJson[] => {
    const [rps, uncleared, distinct] = SEASONAL_METRICS.map((m) => b.profile.view(m)[pick]);
    const q = (v: SlotView | undefined) => ({ median: v?.median ?? null, high: v?.high ?? null });
    return uncleared!.map((u, i) => ({
      slot: u.slot, periods: u.periods, samples: u.samples, current_samples: u.currentSamples, ready: u.ready, rps: q(rps![i]), uncleared_rps: q(u), uncleared_distinct: q(distinct![i]),
    }));
  };
  return {
    samples: b.samples, warm: b.warm, rps: b.expected('rps'), uncleared_rps: b.expected('unclearedRps'), distinct_per_second: b.expected('distinct'),
    recent_uncleared_rps: b.recentLevel('unclearedRps'),
    normal: { uncleared_rps: normal.value, basis: normal.basis, slot: normal.slot },
    learning: {
      delay_s: l.delayS, pending: l.pending, capacity: l.capacity, discarded: l.discarded, dropped: l.dropped, frozen: b.frozen,
      last_learned_ms: l.lastLearnedSecond === null ? null : l.lastLearnedSecond * 1000,
    },
    growth_cap: { per_hour: l.growthPerHour, capped_samples: l.capped, seasonal_capped: l.seasonalCapped, ceiling_uncleared_rps: b.stat('unclearedRps').ceiling },
    seasonal: {
      enabled: b.profile.enabled,
      now: ref === null ? null : { basis: ref.basis, slot: ref.slot, uncleared_rps_median: ref.median, uncleared_rps_high: ref.high },
      slots_with_data: fill.slots, entries: fill.entries,
      ...(options.seasonal && b.profile.enabled ? { hour_of_day: table('hourOfDay'), hour_of_week: table('hourOfWeek') } : {}),
    },
  };
}

/** A rule for the admin API. */
export function ruleView(r: SignatureRule): RuleView {
  const match: Record<string, string | number> = {};
  for (const [d, k] of Object.entries(r.match)) if (k !== undefined) match[DIMENSION_FIELD[d as keyof typeof DIMENSION_FIELD]] = k;
  return {
    id: r.id, action: r.action, mode: r.mode, match, rate_limit_rps: r.rateLimitRps ?? null, collateral: r.collateral, attack_share: r.attackShare,
    created_ms: r.createdMs, expires_ms: r.expiresMs, reason: r.reason,
    evidence: r.evidence.map((e) => ({
      dimension: DIMENSION_FIELD[e.dimension], key: e.key, attack_share: e.attackShare, baseline_share: e.baselineShare, lift: Number.isFinite(e.lift) ? e.lift : null, rps: e.rps,
    })),
  };
}

function signalView(s: Signal): SiteDetectionView['signals'][number] {
  return { kind: s.kind, suggests: s.suggests, threshold: s.threshold, metric: s.metric, value: s.value, expected: s.expected, basis: s.basis ?? null, detail: s.detail };
}

/** Top keys per dimension (at most 5 each) of the last heavy-hitter snapshot. */
function topView(h: { total: number; seconds: number; byDimension: Record<string, ReadonlyArray<{ key: string | number; count: number; error: number }>> } | undefined): SiteDetectionView['top'] {
  if (h === undefined) return {};
  const out: Record<string, Array<{ key: string | number; rps: number; share: number }>> = {};
  const seconds = Math.max(1, h.seconds);
  for (const [d, list] of Object.entries(h.byDimension)) {
    out[DIMENSION_FIELD[d as keyof typeof DIMENSION_FIELD] ?? d] = list.slice(0, 5).map((e) => ({
      key: e.key, rps: Math.round(((e.count - e.error) / seconds) * 10) / 10, share: h.total > 0 ? Math.round(((e.count - e.error) / h.total) * 1000) / 1000 : 0,
    }));
  }
  return out;
}

/** The view of one site at nowMs. */
export function siteView(e: SiteEntry, incident: OpenIncidentInfo | null, nowMs: number, options: DetectionViewOptions = {}): SiteDetectionView {
  const d = e.detector;
  const st = d.state;
  const agg = d.aggregates.stats();
  const ex = e.extras.stats();
  const b = d.baseline;
  const last = e.last;
  return {
    level: st.level,
    auto_level: st.autoLevel,
    since_ms: st.sinceMs,
    override: st.override ? { level: st.override.level, until_ms: st.override.untilMs, by: st.override.by ?? null } : null,
    warming_up: !b.warm,
    cleared_flash_crowd: last?.detection.clearedFlashCrowd ?? false,
    baseline: baselineView(b, nowMs, options),
    last_second: last ? { requests: last.snapshot.last.requests, uncleared: last.snapshot.last.uncleared, distinct: last.snapshot.distinct.last } : null,
    signals: (last?.detection.signals ?? []).map(signalView),
    reasons: last?.detection.reasons ?? [],
    active_rules: d.activeRules.map(ruleView),
    incident: incident ? { id: incident.id, opened_at_ms: incident.openedAtMs } : null,
    top: topView(last?.snapshot.heavy),
    aggregates: {
      events: agg.events, late_events: agg.lateEvents, heavy_entries: agg.heavyEntries, heavy_capacity: agg.heavyCapacity, fixed_bytes: agg.fixedBytes,
      decision_keys: ex.decisionKeys, decision_overflow: ex.decisionOverflow,
    },
  };
}
