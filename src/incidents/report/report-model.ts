/**
 * Builds the report model (report-types.ts) from an incident record with its timeline and the records of
 * related incidents (earlier and later ones of the same site). Pure and
 * deterministic; every export format renders this model and nothing else.
 *
 * Privacy comes first (report-privacy.ts): the record is used as stored — truncated at write time when
 * `detection.truncate_addresses` is on, without address-level data once retention removed it — and, with
 * `reports.truncate_sources`, every address is truncated before anything is built, so no part of any
 * export can show more than the setting allows. What was withheld is listed in `privacy.withheld`.
 */
import type { ReportsConfig } from '../../config/reports-schema.ts';
import type { IncidentRecord, IncidentWithTimeline } from '../../stores/index.ts';
import type { Distribution } from '../fingerprint/fingerprint-types.ts';
import { fingerprintOf } from '../fingerprint/read-fingerprint.ts';
import { parseActions, parseSummaryCarry, parseVisitors } from '../incident-json.ts';
import { durationS } from '../report-text.ts';
import { compareFingerprints, mostTelling } from '../recurrence/compare.ts';
import { iso } from './report-format.ts';
import { applyReportPrivacy, privacyNotes } from './report-privacy.ts';
import { addedLatencyMs, timelineMarkers, timelinePoints } from './report-timeline.ts';
import type { AsnRowJson, NetworkRowJson, RankedJson, RelatedJson, ReportModel, TlpLevel } from './report-types.ts';
import { summaryOf } from './report-words.ts';

/** What a report is built from. */
export interface ReportInput {
  readonly incident: IncidentWithTimeline;
  /** Related incidents of the same site: `earlier` and `later` ones. */
  readonly related: ReadonlyArray<{ readonly record: IncidentRecord; readonly when: 'earlier' | 'later' }>;
  readonly config: ReportsConfig;
  /** The site's hostnames from the config (MISP `domain-dst`); none when unknown. */
  readonly hostnames?: readonly string[];
}

/** Rows shown per ranked table. */
export const MAX_ROWS = 20;

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const r4 = (v: number): number => Math.round(v * 1e4) / 1e4;

function ranked(d: Distribution, total: number, max = MAX_ROWS): RankedJson[] {
  return Object.entries(d).slice(0, max).map(([key, share]) => ({ key, share, requests: Math.round(share * total) }));
}

function tlpOf(c: ReportsConfig): TlpLevel {
  return c.tlp === 'white' ? 'clear' : c.tlp;
}

function incidentPart(r: IncidentWithTimeline, hostnames: readonly string[]): ReportModel['incident'] {
  const s = obj(r.summary);
  const carry = parseSummaryCarry(r.summary);
  return {
    id: r.id, site: r.site, hostnames: hostnames.filter((h) => h !== '*' && !h.startsWith('*.')), status: r.status, close_reason: r.closeReason,
    opened_at: iso(r.openedAtMs), closed_at: r.closedAtMs === null ? null : iso(r.closedAtMs),
    attack_ended_at: typeof s.ended_at_ms === 'number' ? iso(s.ended_at_ms) : null, record_updated_at: iso(r.updatedAtMs),
    duration_s: durationS(r), abnormal_s: carry.abnormalSeconds, peak_level: r.peakLevel, severity: r.severity,
    severity_score: typeof s.severity_score === 'number' ? s.severity_score : null,
    severity_reasons: Array.isArray(s.severity_reasons) ? s.severity_reasons.filter((x): x is string => typeof x === 'string') : [],
    peak_rps: Math.round(r.peakRps * 100) / 100, total_requests: r.totalRequests,
    uncleared_requests: typeof s.uncleared_requests === 'number' ? Math.round(s.uncleared_requests) : 0,
    distinct_sources: r.distinctSources, normal_rps: carry.baseline === null ? null : Math.round(carry.baseline.rps * 100) / 100, trigger: carry.trigger, unobserved_s: carry.gapSeconds,
  };
}

function actionsPart(r: IncidentRecord): ReportModel['actions'] {
  const a = parseActions(r.actions);
  const total = Object.values(a.outcomes).reduce((n, c) => n + c, 0);
  const decided = Object.entries(a.by_decision).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, MAX_ROWS);
  return {
    level_changes: a.level_changes.map((c) => ({ at: iso(c.at_ms), from: c.from, to: c.to, by: c.by, reason: c.reason })),
    rules: a.rules.map((x) => ({
      id: x.id, action: x.action, mode: x.mode, match: x.match, applied_at: x.applied_ms === null ? null : iso(x.applied_ms),
      retired_at: x.retired_ms === null ? null : iso(x.retired_ms), expires_at: iso(x.expires_ms), requests: x.requests,
      collateral: x.collateral, collateral_bound: x.collateral_bound, attack_share: x.attack_share, reason: x.reason,
    })),
    outcomes: Object.fromEntries(Object.entries(a.outcomes).filter(([, n]) => n > 0)),
    mitigated_requests: a.mitigated_requests,
    mitigated_share: total > 0 ? r4(a.mitigated_requests / total) : null,
    decided_by: decided.map(([key, n]) => ({ key, share: total > 0 ? r4(n / total) : 0, requests: n })),
  };
}

function visitorsPart(r: IncidentWithTimeline): ReportModel['visitors'] {
  const v = parseVisitors(r.visitors);
  return {
    cleared_requests: v.cleared_requests, served_ratio: v.cleared_success_rate, origin_p50_ms: v.cleared_origin_latency_p50_ms,
    origin_p99_ms: v.cleared_origin_latency_p99_ms, added_latency_ms: addedLatencyMs(r.timeline), challenges_issued: v.challenges_issued,
    challenges_solved: v.challenges_solved, challenges_failed: v.challenges_failed, challenge_solve_rate: v.challenge_solve_rate, origin_errors: v.origin_errors,
  };
}

function sourcesPart(r: IncidentRecord, fp: ReportModel['fingerprint'], addressesShown: boolean): ReportModel['sources'] {
  const v = fp.attack_vectors[0];
  const n = v.nr_requests;
  const networks: NetworkRowJson[] = ranked(v.source_prefixes, n).map((row) => {
    const info = v.networks[row.key];
    return { ...row, asn: info?.asn ?? null, as_name: info?.as_name ?? (info?.asn != null ? v.as_names[String(info.asn)] ?? null : null), country: info?.country ?? null };
  });
  const asns: AsnRowJson[] = ranked(v.source_asns, n)
    .filter((row) => /^\d+$/.test(row.key))
    .map((row) => ({ ...row, asn: Number(row.key), name: v.as_names[row.key] ?? null }));
  const top = obj(obj(r.summary).top);
  const addresses = addressesShown && Array.isArray(top.address)
    ? top.address.map(obj).filter((e) => typeof e.key === 'string')
      .map((e) => ({ key: String(e.key), share: r4(Number(e.share) || 0), requests: Math.round(Number(e.count) || 0) }))
      .sort((x, y) => y.share - x.share || (x.key < y.key ? -1 : 1))
      .slice(0, MAX_ROWS)
    : null;
  return { networks, asns, countries: ranked(v.source_countries, n), addresses: addresses !== null && addresses.length > 0 ? addresses : null };
}

function recurrencePart(r: IncidentRecord, fp: ReportModel['fingerprint'], related: ReportInput['related']): ReportModel['recurrence'] {
  const rows: RelatedJson[] = related.map(({ record, when }) => ({
    id: record.id, opened_at: iso(record.openedAtMs), closed_at: record.closedAtMs === null ? null : iso(record.closedAtMs), when,
    linked: r.linkedTo === record.id, comparison: compareFingerprints(fp, fingerprintOf(record), record.id, when),
  }));
  const best = [...rows].sort((a, b) => mostTelling(a.comparison, b.comparison))[0];
  const words = best === undefined
    ? `No other incident of ${r.site} was recorded to compare this one with.`
    : rows.length === 1 ? best.comparison.words : `${best.comparison.words} (Compared with ${rows.length} incidents of ${r.site}.)`;
  return { linked_to: r.linkedTo, related: rows, verdict_words: words };
}

/** Builds the report model (see the module comment). */
export function buildReportModel(input: ReportInput): ReportModel {
  const view = applyReportPrivacy(input);
  const r = view.incident;
  const fp = fingerprintOf(r, r.timeline);
  const privacy = privacyNotes(input, view);
  const { bucketSeconds, start, points } = timelinePoints(r.timeline);
  const actions = parseActions(r.actions);
  const org = input.config.organisation;
  const body: Omit<ReportModel, 'summary'> = {
    schema: 'bulwark-incident-report/1',
    tlp: tlpOf(input.config),
    organisation: { name: org.name, domain: org.domain ?? null, contact: org.contact ?? null, sector: org.sector ?? null },
    incident: incidentPart(r, input.hostnames ?? []),
    visitors: visitorsPart(r),
    actions: actionsPart(r),
    timeline: {
      bucket_seconds: bucketSeconds, start, points, markers: timelineMarkers(actions), peak_rps: Math.round(r.peakRps * 100) / 100,
      seconds_recorded: r.timelineSeconds, seconds_dropped: r.timelineDropped,
    },
    sources: sourcesPart(r, fp, privacy.addressesShown),
    patterns: {
      paths: ranked(fp.attack_vectors[0].http_uri, fp.attack_vectors[0].nr_requests),
      methods: ranked(fp.attack_vectors[0].http_method, fp.attack_vectors[0].nr_requests),
      user_agents: ranked(fp.attack_vectors[0].http_user_agent, fp.attack_vectors[0].nr_requests),
      fingerprints: ranked(fp.attack_vectors[0].http_header_fingerprint, fp.attack_vectors[0].nr_requests),
    },
    recurrence: recurrencePart(r, fp, view.related),
    privacy: { truncated: privacy.truncated, withheld: privacy.withheld },
    fingerprint: fp,
    credits: ['ASN data: RouteViews and DB-IP (CC BY 4.0); country data: geo-whois-asn-country (CC0), via ip-location-db.'],
  };
  const { schema, tlp, organisation, incident, ...rest } = body;
  return { schema, tlp, organisation, incident, summary: summaryOf(body), ...rest };
}
