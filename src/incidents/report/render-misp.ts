/**
 * The MISP event (https://www.misp-project.org, the event JSON format MISP imports): tagged with the TLP
 * marking, the CSIRT taxonomies' tag for a DDoS (`ecsirt:availability="ddos"`, and its successor
 * `rsit:availability="ddos"`) and `ddos:type="flooding-attack"`, with one `ddos` object per source
 * network group (the same groups as the X-ARF drafts). Object attributes use the names and types the
 * MISP `ddos` object template (version 10) defines: `ip-src` (multiple), `domain-dst`, `first-seen`,
 * `last-seen`, `protocol`, `type`, `capture-origin`, `text`.
 *
 * Sources are not marked for IDS (`to_ids: false`): attacking addresses are often hijacked hosts or
 * shared (CGNAT) ones, and blocking them is a decision for the recipient. UUIDs are UUIDv5 of the
 * organisation, incident and object, so a re-export updates the same event instead of adding one.
 */
import { abuseGroups, type AbuseGroup } from './abuse-groups.ts';
import { int } from './report-format.ts';
import type { ReportModel } from './report-types.ts';
import { BULWARK_STIX_NAMESPACE } from './stix/stix-ids.ts';
import { uuid5 } from './stix/uuid5.ts';

/** The MISP `ddos` object template this follows. */
export const MISP_DDOS_TEMPLATE = { uuid: 'e2f124d6-f57c-4f93-99e6-8450545fa05d', version: 10 } as const;

const THREAT_LEVEL: Readonly<Record<string, string>> = { critical: '1', high: '1', medium: '2', low: '3' };
/** MISP distribution: 0 your organisation only, 1 this community, 3 all communities, 5 inherit from the event. */
const DISTRIBUTION: Readonly<Record<string, string>> = { red: '0', amber: '0', green: '1', clear: '3' };

const id = (m: ReportModel, ...parts: string[]): string => uuid5(BULWARK_STIX_NAMESPACE, JSON.stringify(['misp', m.organisation.name, m.incident.id, ...parts]));
const epoch = (iso: string): string => String(Math.floor(Date.parse(iso) / 1000));

function attribute(m: ReportModel, g: AbuseGroup, relation: string, type: string, value: string, category: string, n = 0): Record<string, unknown> {
  return {
    uuid: id(m, g.key, relation, String(n)), object_relation: relation, type, category, value, to_ids: false,
    distribution: '5', timestamp: epoch(m.incident.record_updated_at), disable_correlation: !['ip-src', 'domain-dst'].includes(relation), comment: '',
  };
}

function ddosObject(m: ReportModel, g: AbuseGroup): Record<string, unknown> {
  const net = 'Network activity';
  const end = m.incident.closed_at ?? m.incident.record_updated_at;
  const who = g.asn !== null ? `AS${g.asn}${g.as_name ? ` (${g.as_name})` : ''}` : g.key;
  const attributes = [
    ...g.networks.map((n, i) => attribute(m, g, 'ip-src', 'ip-src', n.key, net, i)),
    ...(m.incident.hostnames.length > 0 ? [attribute(m, g, 'domain-dst', 'domain', m.incident.hostnames[0]!, net)] : []),
    attribute(m, g, 'first-seen', 'datetime', m.incident.opened_at, 'Other'),
    attribute(m, g, 'last-seen', 'datetime', end, 'Other'),
    attribute(m, g, 'protocol', 'text', 'TCP', 'Other'),
    attribute(m, g, 'type', 'text', 'flooding-attack', 'Other'),
    attribute(m, g, 'capture-origin', 'text', 'Logs', 'Other'),
    attribute(m, g, 'text', 'text', `HTTP flood: ${int(g.requests)} requests (${(g.share * 100).toFixed(1)}% of the attack) from ${who}; incident ${m.incident.id}.`, 'Other'),
  ];
  return {
    name: 'ddos', 'meta-category': 'network', description: 'DDoS object describes a current DDoS activity from a specific or/and to a specific target.',
    template_uuid: MISP_DDOS_TEMPLATE.uuid, template_version: String(MISP_DDOS_TEMPLATE.version), uuid: id(m, g.key), timestamp: epoch(m.incident.record_updated_at),
    distribution: '5', sharing_group_id: '0', comment: who, deleted: false, first_seen: m.incident.opened_at, last_seen: end, Attribute: attributes,
  };
}

/** The MISP event (see the module comment). */
export function buildMispEvent(m: ReportModel): { Event: Record<string, unknown> } {
  const i = m.incident;
  const { groups } = abuseGroups(m);
  return {
    Event: {
      uuid: id(m, 'event'),
      info: `HTTP flood on ${i.site} (${i.id})`,
      date: i.opened_at.slice(0, 10),
      timestamp: epoch(i.record_updated_at),
      published: false,
      analysis: i.status === 'open' ? '1' : '2',
      threat_level_id: THREAT_LEVEL[i.severity] ?? '2',
      distribution: DISTRIBUTION[m.tlp] ?? '0',
      Orgc: { name: m.organisation.name },
      Tag: [{ name: `tlp:${m.tlp}` }, { name: 'ecsirt:availability="ddos"' }, { name: 'rsit:availability="ddos"' }, { name: 'ddos:type="flooding-attack"' }],
      Attribute: [],
      Object: groups.map((g) => ddosObject(m, g)),
    },
  };
}

/** The event as JSON text. */
export function renderMisp(m: ReportModel): string {
  return JSON.stringify(buildMispEvent(m), null, 2) + '\n';
}
