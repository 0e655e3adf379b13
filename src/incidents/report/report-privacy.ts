/**
 * Redaction and retention for reports: what a report may show of an incident's sources, applied before
 * the model is built so that every export inherits it.
 *
 * - The record is used as stored: with `detection.truncate_addresses` its addresses were truncated when
 *   written; after `detection.retention` its address-level data (top addresses, the fingerprint's
 *   `source_ips`) is gone. Nothing here can bring it back: a report never shows more than the record keeps.
 * - With `reports.truncate_sources`, every address in the incident and in the related incidents is
 *   truncated to its /24 (IPv4) or /48 (IPv6) here, whatever the record holds.
 * - The list of top addresses is shown only when it is still address-level data (not truncated, not
 *   removed); otherwise the report says why it is missing.
 */
import { truncateAddressesInJson } from '../../stores/index.ts';
import type { IncidentRecord, IncidentWithTimeline } from '../../stores/index.ts';
import { dateTime } from './report-format.ts';
import type { ReportInput } from './report-model.ts';

/** The records a report is built from, after redaction. */
export interface PrivacyView {
  readonly incident: IncidentWithTimeline;
  readonly related: ReportInput['related'];
}

/** A copy of a fingerprint's JSON with its `source_ips` deduplicated (truncation makes neighbours equal). */
function dedupeSourceIps(fp: unknown): unknown {
  const f = fp as { attack_vectors?: unknown } | null;
  if (f === null || typeof f !== 'object' || !Array.isArray(f.attack_vectors)) return fp;
  return {
    ...f,
    attack_vectors: f.attack_vectors.map((v) => {
      const x = v as { source_ips?: unknown };
      return Array.isArray(x?.source_ips) ? { ...x, source_ips: [...new Set(x.source_ips)] } : v;
    }),
  };
}

function truncateRecord<T extends IncidentRecord>(r: T): T {
  return {
    ...r,
    summary: truncateAddressesInJson(r.summary),
    actions: truncateAddressesInJson(r.actions),
    visitors: truncateAddressesInJson(r.visitors),
    linkEvidence: truncateAddressesInJson(r.linkEvidence),
    fingerprint: dedupeSourceIps(truncateAddressesInJson(r.fingerprint ?? null)),
  };
}

/** The incident and related records as the report may show them (see the module comment). */
export function applyReportPrivacy(input: ReportInput): PrivacyView {
  if (!input.config.truncate_sources) return { incident: input.incident, related: input.related };
  const incident = truncateRecord(input.incident);
  return {
    incident: { ...incident, timeline: input.incident.timeline.map((s) => (s.extra === undefined ? s : { ...s, extra: truncateAddressesInJson(s.extra) })) },
    related: input.related.map(({ record, when }) => ({ record: truncateRecord(record), when })),
  };
}

/** What the report withholds, in words, and whether address-level rows may be shown. */
export function privacyNotes(input: ReportInput, view: PrivacyView): { truncated: boolean; withheld: string[]; addressesShown: boolean } {
  const r = input.incident;
  const withheld: string[] = [];
  if (input.config.truncate_sources) withheld.push('Client addresses are shown truncated to their /24 (IPv4) or /48 (IPv6) network in this report (reports.truncate_sources).');
  if (r.addressesTruncated) withheld.push('Client addresses were stored truncated to their /24 (IPv4) or /48 (IPv6) network when the incident was recorded (detection.truncate_addresses).');
  if (r.sourceDataPurgedAtMs !== null) withheld.push(`Address-level source data (the top addresses) was removed on ${dateTime(r.sourceDataPurgedAtMs)} at the end of the retention period (detection.retention); networks and totals remain.`);
  const purged = view.related.filter(({ record }) => record.sourceDataPurgedAtMs !== null).map(({ record }) => record.id);
  if (purged.length > 0) withheld.push(`Address-level data of ${purged.join(', ')} was removed by retention: they are compared on networks and patterns only.`);
  const truncated = input.config.truncate_sources || r.addressesTruncated;
  return { truncated, withheld, addressesShown: !truncated && r.sourceDataPurgedAtMs === null };
}
