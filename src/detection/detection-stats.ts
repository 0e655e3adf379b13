/**
 * The detection service's view for `/stats` and `GET /detection` (snake_case, stable): per site the
 * threat level and why, the signals of the last second, the baseline's state, the active signature
 * rules with their evidence, the open incident, and fill levels.
 */
import type { Signal, SignatureRule } from '../core/detect/index.ts';
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
  readonly baseline: { samples: number; warm: boolean; rps: number; uncleared_rps: number; distinct_per_second: number };
  readonly last_second: { requests: number; uncleared: number; distinct: number } | null;
  readonly signals: ReadonlyArray<{ kind: string; suggests: string; threshold: string; metric: string; value: number; expected: number; detail: string }>;
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
  return { kind: s.kind, suggests: s.suggests, threshold: s.threshold, metric: s.metric, value: s.value, expected: s.expected, detail: s.detail };
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

/** The view of one site. */
export function siteView(e: SiteEntry, incident: OpenIncidentInfo | null): SiteDetectionView {
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
    baseline: { samples: b.samples, warm: b.warm, rps: b.expected('rps'), uncleared_rps: b.expected('unclearedRps'), distinct_per_second: b.expected('distinct') },
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
