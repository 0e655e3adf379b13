/**
 * The STIX 2.1 bundle for CERTs (https://docs.oasis-open.org/cti/stix/v2.1/stix-v2.1.html): the
 * reporting organisation's `identity`; the `incident` with the OASIS Incident Core Extension
 * (determination, investigation status, criticality, incident type) and an availability `impact`; the
 * `attack-pattern` CAPEC-488 "HTTP Flood"; per top source network an `observed-data` over its
 * `network-traffic`, `ipv4-addr`/`ipv6-addr` (the prefix, CIDR) and `autonomous-system`; a `sighting` of
 * the attack pattern backed by that observed data; one `indicator` per signature rule with its STIX
 * pattern; and, when the recurrence comparison judged another incident to be the same actor, an
 * `intrusion-set` the incident is `attributed-to`, whose id is derived from the earliest incident of that
 * actor known to the report — so every bundle of the actor's incidents names the same intrusion set.
 *
 * Every object carries the configured TLP marking and is created by the identity. Ids are deterministic
 * (stix-ids.ts); timestamps are the record's, RFC 3339 UTC with milliseconds. Objects are listed in a
 * fixed order. Nothing here reads a clock.
 */
import type { ReportModel } from '../report-types.ts';
import { sdoId } from './stix-ids.ts';
import { rulePattern } from './stix-patterns.ts';
import { attackPattern, identity, impact, incident, networkObservables, tlpMarking, type StixObject } from './stix-objects.ts';

/** A STIX 2.1 bundle. */
export interface StixBundle {
  readonly type: 'bundle';
  readonly id: string;
  readonly objects: readonly StixObject[];
}

const MAX_COUNT = 999_999_999;

function relationship(m: ReportModel, common: Record<string, unknown>, type: string, source: string, target: string, extra: Record<string, unknown> = {}): StixObject {
  return { type: 'relationship', spec_version: '2.1', id: sdoId('relationship', m.organisation.name, m.incident.id, type, source, target), ...common, relationship_type: type, source_ref: source, target_ref: target, ...extra };
}

function indicators(m: ReportModel, common: Record<string, unknown>): StixObject[] {
  const out: StixObject[] = [];
  for (const r of m.actions.rules) {
    const pattern = rulePattern(r.match);
    if (pattern === null) continue;
    const from = r.applied_at ?? m.incident.opened_at;
    const until = Date.parse(r.expires_at) > Date.parse(from) ? r.expires_at : new Date(Date.parse(from) + 1000).toISOString();
    out.push({
      type: 'indicator', spec_version: '2.1', id: sdoId('indicator', m.organisation.name, m.incident.id, r.id), ...common,
      name: `Bulwark signature rule ${r.id}`,
      description: `${r.reason}. Action ${r.action} (${r.mode === 'apply' ? 'applied' : 'logged only'}); decided ${r.requests} requests; estimated collateral on normal traffic ${(r.collateral * 100).toFixed(2)}% (bound ${(r.collateral_bound * 100).toFixed(2)}%).`,
      indicator_types: ['malicious-activity'], pattern, pattern_type: 'stix', pattern_version: '2.1', valid_from: from, valid_until: until,
    });
  }
  return out;
}

/** The same-actor cluster: the earliest incident judged the same actor (or this one), and the strongest comparison. */
function sameActor(m: ReportModel): { root: string; firstSeen: string; lastSeen: string; confidence: number; members: string[]; words: string } | null {
  const same = m.recurrence.related.filter((r) => r.comparison.verdict === 'same_actor');
  if (same.length === 0) return null;
  const members = [{ id: m.incident.id, opened: m.incident.opened_at, end: m.incident.closed_at ?? m.incident.record_updated_at }, ...same.map((r) => ({ id: r.id, opened: r.opened_at, end: r.closed_at ?? r.opened_at }))]
    .sort((a, b) => (a.opened < b.opened ? -1 : a.opened > b.opened ? 1 : a.id < b.id ? -1 : 1));
  return {
    root: members[0]!.id, firstSeen: members[0]!.opened, lastSeen: members.map((x) => x.end).sort().at(-1)!,
    confidence: Math.max(...same.map((r) => r.comparison.confidence_score)), members: members.map((x) => x.id),
    words: same.map((r) => r.comparison).sort((a, b) => b.confidence_score - a.confidence_score || (b.network?.estimate ?? 0) - (a.network?.estimate ?? 0))[0]!.words,
  };
}

/** The bundle of the report (see the module comment). */
export function buildStixBundle(m: ReportModel): StixBundle {
  const marking = tlpMarking(m.tlp);
  const who = identity(m);
  const common = { created: m.incident.opened_at, modified: m.incident.record_updated_at, created_by_ref: who.id, object_marking_refs: [marking.id] };
  const ap = attackPattern();
  const imp = impact(m, common);
  const inc = incident(m, common, imp === null ? null : imp.id);
  const { scos, perNetwork } = networkObservables(m, [marking.id]);
  const end = m.incident.closed_at ?? m.incident.record_updated_at;
  const observed: StixObject[] = perNetwork.map((n) => ({
    type: 'observed-data', spec_version: '2.1', id: sdoId('observed-data', m.organisation.name, m.incident.id, n.key), ...common,
    first_observed: m.incident.opened_at, last_observed: end, number_observed: Math.min(MAX_COUNT, Math.max(1, n.requests)), object_refs: n.refs,
  }));
  const sighting: StixObject[] = observed.length === 0 ? [] : [{
    type: 'sighting', spec_version: '2.1', id: sdoId('sighting', m.organisation.name, m.incident.id, ap.id), ...common,
    sighting_of_ref: ap.id, observed_data_refs: observed.map((o) => o.id), where_sighted_refs: [who.id],
    first_seen: m.incident.opened_at, last_seen: end, count: Math.min(MAX_COUNT, Math.max(1, m.incident.uncleared_requests)),
  }];
  const inds = indicators(m, common);
  const objects: StixObject[] = [marking, who, ap, inc, ...(imp ? [imp] : []), ...inds, ...observed, ...scos, ...sighting];
  const rels: StixObject[] = [
    relationship(m, common, 'targets', inc.id, who.id),
    relationship(m, common, 'related-to', inc.id, ap.id),
    ...inds.map((i) => relationship(m, common, 'indicates', i.id, ap.id)),
  ];
  const actor = sameActor(m);
  if (actor !== null) {
    const set: StixObject = {
      type: 'intrusion-set', spec_version: '2.1', id: sdoId('intrusion-set', m.organisation.name, m.incident.site, actor.root),
      created: actor.firstSeen, modified: m.incident.record_updated_at > actor.firstSeen ? m.incident.record_updated_at : actor.firstSeen,
      created_by_ref: who.id, object_marking_refs: [marking.id],
      name: `HTTP flood actor first seen in ${actor.root} (${m.incident.site})`,
      description: `Incidents of ${m.incident.site} judged to come from the same networks (same actor): ${actor.members.join(', ')}.`,
      first_seen: actor.firstSeen, last_seen: actor.lastSeen,
    };
    objects.push(set);
    rels.push(relationship(m, common, 'attributed-to', inc.id, set.id, { confidence: actor.confidence, description: actor.words }));
    rels.push(relationship(m, common, 'uses', set.id, ap.id));
  }
  return { type: 'bundle', id: sdoId('bundle', m.organisation.name, m.incident.id, m.incident.record_updated_at), objects: [...objects, ...rels] };
}

/** The bundle as JSON text. */
export function renderStix(m: ReportModel): string {
  return JSON.stringify(buildStixBundle(m), null, 2) + '\n';
}
