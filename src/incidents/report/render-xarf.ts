/**
 * X-ARF v4 `connection/ddos` drafts for abuse desks (https://xarf.org, schema
 * `types/connection-ddos.json`): one draft per source network group (abuse-groups.ts — one per AS), with
 * the networks and addresses, the attack's first and last seen, the requests, and a CSV evidence excerpt.
 * Drafts are written for a person to review and send; Bulwark never sends them.
 *
 * The reporter and sender are the configured organisation; without `reports.organisation.contact` and
 * `.domain` there is no one for the abuse desk to answer, so the drafts are refused
 * (BULWARK_ERR_REPORT_CONTACT). `source_identifier` is the AS (`AS64496`) or the prefix: a network, not an
 * address, so no `source_port` is claimed (Bulwark does not keep clients' ports). `report_id` is a
 * UUIDv5 of the organisation, incident and group, so a re-export of the same draft keeps its id.
 * First and last seen are the incident's: Bulwark does not keep them per network.
 */
import { createHash } from 'node:crypto';
import { BulwarkError } from '../../core/errors.ts';
import { abuseGroups, type AbuseGroup } from './abuse-groups.ts';
import { int } from './report-format.ts';
import type { ReportModel } from './report-types.ts';
import { BULWARK_STIX_NAMESPACE } from './stix/stix-ids.ts';
import { uuid5 } from './stix/uuid5.ts';

/** The X-ARF schema version the drafts follow. */
export const XARF_VERSION = '4.2.0';

function serviceImpact(served: number | null): 'none' | 'degraded' | 'unavailable' | null {
  if (served === null) return null;
  return served >= 0.95 ? 'none' : served >= 0.5 ? 'degraded' : 'unavailable';
}

function csv(value: string | number | null): string {
  const s = value === null ? '' : String(value);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The evidence excerpt: one CSV row per network and per listed address. */
function evidenceCsv(m: ReportModel, g: AbuseGroup): string {
  const first = m.incident.opened_at;
  const last = m.incident.closed_at ?? m.incident.record_updated_at;
  const rows = [['source', 'kind', 'asn', 'as_name', 'country', 'requests', 'share_of_attack', 'first_seen', 'last_seen'].join(',')];
  for (const n of g.networks) rows.push([n.key, 'network', n.asn, n.as_name, n.country, n.requests, n.share, first, last].map(csv).join(','));
  for (const a of g.addresses) rows.push([a.key, 'address', g.asn, g.as_name, '', a.requests, a.share, first, last].map(csv).join(','));
  return rows.join('\n') + '\n';
}

function description(m: ReportModel, g: AbuseGroup): string {
  const i = m.incident;
  const who = g.asn !== null ? `AS${g.asn}${g.as_name ? ` (${g.as_name})` : ''}` : `network ${g.key}`;
  const text = `HTTP flood against ${i.hostnames[0] ?? i.site} from ${i.opened_at} to ${i.closed_at ?? 'ongoing'}: ${int(g.requests)} requests (${(g.share * 100).toFixed(1)}% of the attack) came from ${who}, ${g.networks.map((n) => n.key).join(', ')}. Peak of the whole attack ${int(i.peak_rps)} requests per second from about ${int(i.distinct_sources)} addresses. Please check these networks for compromised or abused hosts.`;
  return text.length > 1000 ? `${text.slice(0, 999)}…` : text;
}

/** One draft. */
function draft(m: ReportModel, g: AbuseGroup, contact: { org: string; contact: string; domain: string }): Record<string, unknown> {
  const evidence = evidenceCsv(m, g);
  const bytes = Buffer.from(evidence, 'utf8');
  const impact = serviceImpact(m.visitors.served_ratio);
  const end = m.incident.closed_at;
  const duration = Math.max(1, m.incident.duration_s);
  return {
    xarf_version: XARF_VERSION,
    report_id: uuid5(BULWARK_STIX_NAMESPACE, JSON.stringify(['xarf', m.organisation.name, m.incident.id, g.key])),
    timestamp: m.incident.opened_at,
    reporter: contact,
    sender: contact,
    source_identifier: g.key,
    category: 'connection',
    type: 'ddos',
    evidence_source: 'traffic_monitoring',
    protocol: 'tcp',
    attack_vector: 'http_flood',
    duration_seconds: duration,
    first_seen: m.incident.opened_at,
    ...(end !== null ? { last_seen: end } : {}),
    mitigation_applied: m.actions.mitigated_requests > 0,
    ...(impact !== null ? { service_impact: impact } : {}),
    description: description(m, g),
    evidence: [{
      content_type: 'text/csv',
      description: `Requests per source network${g.addresses.length > 0 ? ' and address' : ''} in incident ${m.incident.id} (first and last seen are the incident's)`,
      payload: bytes.toString('base64'),
      hash: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      size: bytes.length,
    }],
    tags: ['attack:http_flood', `mitigation:${m.actions.mitigated_requests > 0 ? 'applied' : 'none'}`, `tlp:${m.tlp}`],
  };
}

/** The drafts and the networks left out (see abuse-groups.ts); BULWARK_ERR_REPORT_CONTACT without a contact. */
export function buildXarfDrafts(m: ReportModel): { drafts: Array<Record<string, unknown>>; leftOut: Array<{ key: string; reason: string }> } {
  const o = m.organisation;
  if (o.contact === null || o.domain === null) {
    const msg = 'X-ARF drafts need the reporting organisation\'s contact and domain: set reports.organisation.contact and reports.organisation.domain';
    throw new BulwarkError('BULWARK_ERR_REPORT_CONTACT', msg, { source: 'operator', publicReason: msg });
  }
  const contact = { org: o.name.slice(0, 200), contact: o.contact, domain: o.domain };
  const { groups, leftOut } = abuseGroups(m);
  return { drafts: groups.map((g) => draft(m, g, contact)), leftOut };
}

/** The drafts as a JSON array. */
export function renderXarf(m: ReportModel): string {
  return JSON.stringify(buildXarfDrafts(m).drafts, null, 2) + '\n';
}
