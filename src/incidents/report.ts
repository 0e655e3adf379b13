/**
 * An incident for humans and for machines: `bulwark incidents list|show [--json]` and the admin
 * listener's `/incidents` and `/incident`.
 *
 * JSON: the stored shape with stable snake_case names — the record's columns, then `summary`, `actions`,
 * `visitors` and `link_evidence` exactly as stored (incident-json.ts, incident-link.ts), then the
 * timeline. Times are given as epoch ms (`*_ms`) and ISO 8601 (`opened_at`, ...).
 * Text: a headline, top sources, actions, what visitors experienced, and the timeline condensed to at
 * most `maxTimelineRows` rows (report-text.ts).
 */
import type { IncidentRecord, IncidentSecond, IncidentWithTimeline } from '../stores/index.ts';

import { durationS } from './report-text.ts';

export { durationS, renderIncidentText, renderIncidentList } from './report-text.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());


/** The headline fields of an incident (list entries). */
export function incidentHeadlineJson(r: IncidentRecord) {
  return {
    id: r.id,
    site: r.site,
    status: r.status,
    close_reason: r.closeReason,
    opened_at: iso(r.openedAtMs),
    opened_at_ms: r.openedAtMs,
    closed_at: iso(r.closedAtMs),
    closed_at_ms: r.closedAtMs,
    duration_s: durationS(r),
    peak_level: r.peakLevel,
    severity: r.severity,
    peak_rps: r.peakRps,
    total_requests: r.totalRequests,
    distinct_sources: r.distinctSources,
    linked_to: r.linkedTo,
    link_verdict: r.linkVerdict,
  };
}

/** One timeline second in the JSON report. */
export function timelineRowJson(s: IncidentSecond) {
  return { t: s.t, time: iso(s.t), requests: s.requests, distinct: s.distinct, level: s.level, outcomes: s.outcomes ?? {}, extra: s.extra ?? null };
}

/** The full JSON of an incident (with its timeline when it was read with one). */
export function incidentJson(r: IncidentRecord | IncidentWithTimeline) {
  const timeline = 'timeline' in r ? r.timeline : null;
  return {
    ...incidentHeadlineJson(r),
    summary: r.summary,
    actions: r.actions,
    visitors: r.visitors,
    link_evidence: r.linkEvidence,
    fingerprint: r.fingerprint ?? null,
    last_second_ms: r.lastSecondMs,
    timeline_seconds: r.timelineSeconds,
    timeline_dropped: r.timelineDropped,
    addresses_truncated: r.addressesTruncated,
    source_data_purged_at_ms: r.sourceDataPurgedAtMs,
    updated_at_ms: r.updatedAtMs,
    ...(timeline !== null ? { timeline: timeline.map(timelineRowJson) } : {}),
  };
}

/** The JSON of an incident list. */
export function incidentListJson(records: readonly IncidentRecord[]) {
  return { incidents: records.map(incidentHeadlineJson) };
}
