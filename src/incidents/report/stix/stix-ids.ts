/**
 * Deterministic STIX 2.1 identifiers, so the bundle of an incident has the same ids however often it is
 * exported, and objects shared between incidents (the reporting identity, the CAPEC attack pattern, the
 * intrusion set of incidents judged to be the same actor) have one id in every bundle:
 *
 * - Cyber-observable objects: UUIDv5 in the STIX namespace 00abedb4-aa42-466c-9c01-fed23315a9b7 over the
 *   canonical JSON (RFC 8785) of the type's ID-contributing properties, as STIX 2.1 section 2.9 specifies
 *   (ipv4-addr and ipv6-addr: `value`; autonomous-system: `number`; network-traffic: `start`, `end`,
 *   `src_ref`, `dst_ref`, `src_port`, `dst_port`, `protocols`, `extensions`).
 * - Domain, relationship and sighting objects: UUIDv5 in Bulwark's own namespace over a name made of the
 *   object's role, the reporting organisation and the incident id. STIX recommends (SHOULD) UUIDv4 for
 *   these; a name-based UUID is what keeps re-exports identical, and it is still an RFC 9562 UUID.
 */
import { canonicalJson } from '../../canonical-json.ts';
import { uuid5 } from './uuid5.ts';

/** The namespace STIX 2.1 defines for cyber-observable object ids. */
export const STIX_SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';
/** Bulwark's namespace for its own deterministic SDO/SRO ids (a fixed random UUID). */
export const BULWARK_STIX_NAMESPACE = '6f3c1d52-8a0e-4b7e-9d3a-2c5f0e9b4a71';

const SCO_CONTRIBUTING: Readonly<Record<string, readonly string[]>> = {
  'ipv4-addr': ['value'],
  'ipv6-addr': ['value'],
  'autonomous-system': ['number'],
  'network-traffic': ['start', 'end', 'src_ref', 'dst_ref', 'src_port', 'dst_port', 'protocols', 'extensions'],
};

/** The id of a cyber-observable object of `type` with `properties` (only the contributing ones are used). */
export function scoId(type: string, properties: Readonly<Record<string, unknown>>): string {
  const keys = SCO_CONTRIBUTING[type];
  if (keys === undefined) throw new TypeError(`no ID-contributing properties known for ${type}`);
  const contributing = Object.fromEntries(keys.filter((k) => properties[k] !== undefined).map((k) => [k, properties[k]]));
  return `${type}--${uuid5(STIX_SCO_NAMESPACE, canonicalJson(contributing))}`;
}

/** The id of a domain, relationship or sighting object, from the parts that make it unique. */
export function sdoId(type: string, ...parts: ReadonlyArray<string | number>): string {
  return `${type}--${uuid5(BULWARK_STIX_NAMESPACE, canonicalJson([type, ...parts]))}`;
}
