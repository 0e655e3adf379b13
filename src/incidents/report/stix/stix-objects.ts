/**
 * The STIX 2.1 objects of an incident bundle, each built from the report model alone: the TLP marking,
 * the reporting organisation's identity, the CAPEC attack pattern, the incident with the OASIS Incident
 * Core Extension and its availability impact, and the observables of the top source networks.
 */
import type { ReportModel, TlpLevel } from '../report-types.ts';
import { scoId, sdoId } from './stix-ids.ts';

/** A STIX object as JSON. */
export type StixObject = Record<string, unknown> & { readonly type: string; readonly id: string };

/** The OASIS Incident Core Extension (v2.0) and the Impact extension it refers to. */
export const INCIDENT_CORE_EXTENSION = 'extension-definition--ef765651-680c-498d-9894-99799f2fa126';
export const IMPACT_EXTENSION = 'extension-definition--7cc33dd6-f6a1-489b-98ea-522d351d71b9';

/** The TLP 1.0 marking definitions predefined by STIX 2.1 (section 7.2.1.4), by level. */
const TLP: Readonly<Record<TlpLevel, { id: string; name: string; tlp: string }>> = {
  clear: { id: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', name: 'TLP:WHITE', tlp: 'white' },
  green: { id: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', name: 'TLP:GREEN', tlp: 'green' },
  amber: { id: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', name: 'TLP:AMBER', tlp: 'amber' },
  red: { id: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', name: 'TLP:RED', tlp: 'red' },
};

/** The predefined TLP marking-definition object of `level`, exactly as STIX 2.1 lists it. */
export function tlpMarking(level: TlpLevel): StixObject {
  const t = TLP[level];
  return { type: 'marking-definition', spec_version: '2.1', id: t.id, created: '2017-01-20T00:00:00.000Z', definition_type: 'tlp', name: t.name, definition: { tlp: t.tlp } };
}

/**
 * Fixed creation time of the objects derived from configuration rather than from an incident (the
 * identity) or shared by every bundle (the CAPEC attack pattern): the same object has the same
 * `created` and `modified` in every export, as STIX versioning requires.
 */
export const STATIC_CREATED = '2024-01-01T00:00:00.000Z';

/** The reporting organisation (its id is derived from its configured name, domain and contact). */
export function identity(m: ReportModel): StixObject {
  const o = m.organisation;
  return {
    type: 'identity', spec_version: '2.1', id: sdoId('identity', o.name, o.domain ?? '', o.contact ?? ''), created: STATIC_CREATED, modified: STATIC_CREATED,
    name: o.name, identity_class: 'organization', ...(o.sector ? { sectors: [o.sector] } : {}), ...(o.contact ? { contact_information: o.contact } : {}),
  };
}

/** CAPEC-488 "HTTP Flood" (https://capec.mitre.org/data/definitions/488.html), the same in every bundle. */
export function attackPattern(): StixObject {
  return {
    type: 'attack-pattern', spec_version: '2.1', id: sdoId('attack-pattern', 'CAPEC-488'), created: STATIC_CREATED, modified: STATIC_CREATED,
    name: 'HTTP Flood', description: 'An adversary floods a web server with HTTP requests to exhaust its resources and deny service to legitimate users.',
    external_references: [{ source_name: 'capec', external_id: 'CAPEC-488', url: 'https://capec.mitre.org/data/definitions/488.html' }],
  };
}

/** STIX criticality (0–100) of a severity, on the Incident Core Extension's five-level scale. */
export function criticalityOf(severity: string): number {
  return ({ low: 15, medium: 40, high: 70, critical: 95 } as Record<string, number>)[severity] ?? 40;
}

/** Blocked: visitors were served (≥ 95%) or none were measured; confirmed: the attack cost visitors service. */
export function determinationOf(m: ReportModel): 'blocked' | 'confirmed' {
  const served = m.visitors.served_ratio;
  return served !== null && served < 0.95 ? 'confirmed' : 'blocked';
}

/** The availability impact (Impact extension), or null when no visitor was measured. */
export function impact(m: ReportModel, common: Record<string, unknown>): StixObject | null {
  const served = m.visitors.served_ratio;
  if (served === null) return null;
  const i = m.incident;
  return {
    type: 'impact', spec_version: '2.1', id: sdoId('impact', m.organisation.name, i.id, 'availability'), ...common,
    impact_category: 'availability', criticality: criticalityOf(i.severity),
    description: `${(served * 100).toFixed(1)}% of ${m.visitors.cleared_requests} requests from real visitors (clients holding a clearance) were served.`,
    start_time: i.opened_at, ...(i.closed_at !== null ? { end_time: i.closed_at } : {}),
    extensions: { availability: { availability_impact: Math.round((1 - served) * 100) }, [IMPACT_EXTENSION]: { extension_type: 'new-sdo' } },
  };
}

/** The incident with the Incident Core Extension. */
export function incident(m: ReportModel, common: Record<string, unknown>, impactId: string | null): StixObject {
  const i = m.incident;
  return {
    type: 'incident', spec_version: '2.1', id: sdoId('incident', m.organisation.name, i.id), ...common,
    name: `HTTP flood on ${i.site} (${i.id})`,
    description: [m.summary.headline + '.', ...m.summary.paragraphs].join('\n\n'),
    labels: m.fingerprint.tags.map((t) => t.toLowerCase().replace(/\s+/g, '-')),
    external_references: [{ source_name: 'bulwark', external_id: i.id, description: `Bulwark incident record; attack fingerprint key sha256:${m.fingerprint.key}` }],
    extensions: {
      [INCIDENT_CORE_EXTENSION]: {
        extension_type: 'property-extension',
        determination: determinationOf(m),
        investigation_status: i.status === 'open' ? 'open' : 'closed',
        criticality: criticalityOf(i.severity),
        detection_methods: [i.trigger === 'override' ? 'human-review' : 'automated-tool'],
        incident_types: ['denial-of-service'],
        ...(impactId !== null ? { impact_refs: [impactId] } : {}),
        recoverability: 'regular',
      },
    },
  };
}

/** Observables of the top source networks: address (CIDR) objects, their ASes, and one network-traffic each. */
export function networkObservables(m: ReportModel, marking: readonly string[], max = 10): { scos: StixObject[]; perNetwork: Array<{ traffic: string; refs: string[]; requests: number; key: string }> } {
  const scos = new Map<string, StixObject>();
  const perNetwork: Array<{ traffic: string; refs: string[]; requests: number; key: string }> = [];
  const start = m.incident.opened_at;
  const end = m.incident.closed_at ?? m.incident.record_updated_at;
  for (const n of m.sources.networks.slice(0, max)) {
    const v6 = n.key.includes(':');
    const refs: string[] = [];
    let asRef: string | null = null;
    if (n.asn !== null) {
      asRef = scoId('autonomous-system', { number: n.asn });
      scos.set(asRef, { type: 'autonomous-system', spec_version: '2.1', id: asRef, number: n.asn, ...(n.as_name ? { name: n.as_name } : {}), object_marking_refs: marking });
      refs.push(asRef);
    }
    const addrType = v6 ? 'ipv6-addr' : 'ipv4-addr';
    const addr = scoId(addrType, { value: n.key });
    scos.set(addr, { type: addrType, spec_version: '2.1', id: addr, value: n.key, ...(asRef ? { belongs_to_refs: [asRef] } : {}), object_marking_refs: marking });
    const protocols = [v6 ? 'ipv6' : 'ipv4', 'tcp', 'http'];
    const traffic = scoId('network-traffic', { start, end, src_ref: addr, protocols });
    scos.set(traffic, { type: 'network-traffic', spec_version: '2.1', id: traffic, start, end, src_ref: addr, protocols, object_marking_refs: marking });
    perNetwork.push({ traffic, refs: [traffic, addr, ...refs], requests: n.requests, key: n.key });
  }
  return { scos: [...scos.values()], perNetwork };
}
