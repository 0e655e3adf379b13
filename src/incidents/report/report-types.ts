/**
 * The one report model every export is generated from (HTML, JSON, STIX 2.1, X-ARF v4, MISP), built from
 * the incident record (report-model.ts), so the formats always agree. Plain data, JSON-safe, snake_case,
 * deterministic: the same record and options give the same model byte for byte (no clock is read; times
 * are the record's).
 */
import type { ThreatLevel } from '../../core/vocabulary.ts';
import type { AttackFingerprint } from '../fingerprint/fingerprint-types.ts';
import type { RecurrenceComparison } from '../recurrence/compare.ts';

/** Formats a report can be exported as. */
export type ReportFormat = 'html' | 'json' | 'stix' | 'xarf' | 'misp';
export const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'json', 'stix', 'xarf', 'misp'];

/** TLP marking of the report (`white` is written `clear`, TLP 2.0's name for it). */
export type TlpLevel = 'clear' | 'green' | 'amber' | 'red';

/** A ranked value: its share of the attack's (uncleared) requests and the estimated requests. */
export interface RankedJson {
  readonly key: string;
  readonly share: number;
  readonly requests: number;
}

/** A source network row: prefix, its AS and country when known. */
export interface NetworkRowJson extends RankedJson {
  readonly asn: number | null;
  readonly as_name: string | null;
  readonly country: string | null;
}

/** An autonomous system row. */
export interface AsnRowJson extends RankedJson {
  readonly asn: number;
  readonly name: string | null;
}

/** One bucket of the timeline chart: mean requests per second by outcome group, and the highest level. */
export interface TimelinePointJson {
  readonly t: number;
  readonly served: number;
  readonly challenged: number;
  readonly refused: number;
  readonly failed: number;
  readonly level: ThreatLevel;
}

/** Something Bulwark did, as a marker on the timeline. */
export interface MarkerJson {
  readonly t: number;
  readonly kind: 'level' | 'rule_applied' | 'rule_retired';
  readonly label: string;
}

/** A signature rule applied (or only logged) during the incident, with its collateral. */
export interface RuleRowJson {
  readonly id: string;
  readonly action: string;
  readonly mode: string;
  readonly match: Readonly<Record<string, string | number>>;
  readonly applied_at: string | null;
  readonly retired_at: string | null;
  readonly expires_at: string;
  readonly requests: number;
  /** Estimated share of normal traffic the rule would hit, and the bound of that estimate. */
  readonly collateral: number;
  readonly collateral_bound: number;
  readonly attack_share: number;
  readonly reason: string;
}

/** A recurrence comparison with the other incident's headline. */
export interface RelatedJson {
  readonly id: string;
  readonly opened_at: string;
  readonly closed_at: string | null;
  /** `earlier`: opened before this incident; `later`: opened after it. */
  readonly when: 'earlier' | 'later';
  /** True when this incident's stored link points at it. */
  readonly linked: boolean;
  readonly comparison: RecurrenceComparison;
}

/** The report model. */
export interface ReportModel {
  readonly schema: 'bulwark-incident-report/1';
  readonly tlp: TlpLevel;
  readonly organisation: { readonly name: string; readonly domain: string | null; readonly contact: string | null; readonly sector: string | null };
  readonly incident: {
    readonly id: string;
    readonly site: string;
    readonly hostnames: readonly string[];
    readonly status: 'open' | 'closed';
    readonly close_reason: string | null;
    readonly opened_at: string;
    readonly closed_at: string | null;
    /** End of the last second above normal, or null. */
    readonly attack_ended_at: string | null;
    readonly record_updated_at: string;
    readonly duration_s: number;
    readonly abnormal_s: number;
    readonly peak_level: ThreatLevel;
    readonly severity: string;
    readonly severity_score: number | null;
    readonly severity_reasons: readonly string[];
    readonly peak_rps: number;
    readonly total_requests: number;
    readonly uncleared_requests: number;
    readonly distinct_sources: number;
    readonly normal_rps: number | null;
    readonly trigger: string;
    readonly unobserved_s: number;
  };
  /** The summary in plain words: a headline and short paragraphs, first thing in every human format. */
  readonly summary: { readonly headline: string; readonly paragraphs: readonly string[] };
  readonly visitors: {
    readonly cleared_requests: number;
    readonly served_ratio: number | null;
    readonly origin_p50_ms: number | null;
    readonly origin_p99_ms: number | null;
    /** Median origin latency in the attack's seconds minus in the incident's calm seconds; null when unknown. */
    readonly added_latency_ms: number | null;
    readonly challenges_issued: number;
    readonly challenges_solved: number;
    readonly challenges_failed: number;
    readonly challenge_solve_rate: number | null;
    readonly origin_errors: number;
  };
  readonly actions: {
    readonly level_changes: ReadonlyArray<{ readonly at: string; readonly from: string; readonly to: string; readonly by: string; readonly reason: string }>;
    readonly rules: readonly RuleRowJson[];
    readonly outcomes: Readonly<Record<string, number>>;
    readonly mitigated_requests: number;
    readonly mitigated_share: number | null;
    readonly decided_by: readonly RankedJson[];
  };
  readonly timeline: {
    readonly bucket_seconds: number;
    readonly start: number;
    readonly points: readonly TimelinePointJson[];
    readonly markers: readonly MarkerJson[];
    readonly peak_rps: number;
    readonly seconds_recorded: number;
    readonly seconds_dropped: number;
  };
  readonly sources: {
    readonly networks: readonly NetworkRowJson[];
    readonly asns: readonly AsnRowJson[];
    readonly countries: readonly RankedJson[];
    /** Top addresses, or null when withheld (truncated or removed by retention). */
    readonly addresses: readonly RankedJson[] | null;
  };
  readonly patterns: {
    readonly paths: readonly RankedJson[];
    readonly methods: readonly RankedJson[];
    readonly user_agents: readonly RankedJson[];
    readonly fingerprints: readonly RankedJson[];
  };
  readonly recurrence: {
    readonly linked_to: string | null;
    readonly related: readonly RelatedJson[];
    /** The most telling comparison's sentence, or a sentence saying there was nothing to compare. */
    readonly verdict_words: string;
  };
  readonly privacy: {
    /** True when some client addresses appear only truncated (/24, /48). */
    readonly truncated: boolean;
    /** What the report withholds and why, in words (empty when nothing is withheld). */
    readonly withheld: readonly string[];
  };
  readonly fingerprint: AttackFingerprint;
  /** Credits for the data shown (ASN and country data licences). */
  readonly credits: readonly string[];
}
