/**
 * Test support: checks exports against the official standards, read from `../shared/standards` next to
 * the repository (BULWARK_STANDARDS_DIR overrides it) — never copied into the repository:
 *
 * - STIX 2.1: the OASIS JSON Schemas (draft 2020-12) with ajv. The official `common/bundle.json` leaves
 *   `incident` out of its object types, so the bundle's envelope is checked against bundle.json and each
 *   object against its own type's schema. The `impact` object of the Incident Core Extension suite has no
 *   schema there: its common properties are checked against `common/core.json` and its extensions
 *   against the rules of the Impact extension's specification (the `availability` extension key it
 *   defines is not of the `…-ext` form core.json allows, so core.json cannot check that part).
 *   Then the rules no schema expresses: ids unique, every `*_ref`/`*_refs` resolves inside the bundle,
 *   SCO ids are the UUIDv5 the spec defines, timestamps are RFC 3339 UTC.
 * - X-ARF v4: `types/connection-ddos.json` and the master schema's category/type pairs.
 * - MISP: the `ddos` object template (`definition.json`): relation names, types, categories, multiplicity,
 *   `requiredOneOf`, listed values.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { scoId } from '../stix/stix-ids.ts';

/** The repository root (four levels above this file). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Where the standards are, or null (with why) when they are absent. */
export function standardsDir(): { dir: string | null; why: string } {
  const dir = process.env.BULWARK_STANDARDS_DIR ?? path.resolve(REPO_ROOT, '../shared/standards');
  return fs.existsSync(path.join(dir, 'stix2.1')) ? { dir, why: '' } : { dir: null, why: `standards not found at ${dir} (set BULWARK_STANDARDS_DIR or place them at ../shared/standards): schema validation skipped` };
}

function jsonFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? jsonFiles(path.join(dir, e.name)) : e.name.endsWith('.json') ? [path.join(dir, e.name)] : []));
}

function ajvFor(files: readonly string[]) {
  const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true, unicodeRegExp: false });
  (addFormats as unknown as (a: unknown) => void)(ajv);
  // ajv-formats has no `idn-hostname` (used by STIX domain-name, which reports do not emit): accepted as is.
  ajv.addFormat('idn-hostname', true);
  for (const f of files) ajv.addSchema(JSON.parse(fs.readFileSync(f, 'utf8')) as object);
  return ajv;
}

const errors = (v: ValidateFunction): string => JSON.stringify(v.errors?.slice(0, 5));
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const TIME_KEYS = new Set(['created', 'modified', 'first_observed', 'last_observed', 'first_seen', 'last_seen', 'valid_from', 'valid_until', 'start', 'end', 'start_time', 'end_time']);
const STIX_BASE = 'http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas';

/** Every *_ref / *_refs value anywhere in `v`, with its path. */
function refs(v: unknown, at: string, out: Array<[string, string]>): void {
  if (Array.isArray(v)) v.forEach((x, i) => refs(x, `${at}[${i}]`, out));
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k.endsWith('_ref') && typeof x === 'string') out.push([`${at}.${k}`, x]);
      else if (k.endsWith('_refs') && Array.isArray(x)) x.forEach((y, i) => typeof y === 'string' && out.push([`${at}.${k}[${i}]`, y]));
      else refs(x, `${at}.${k}`, out);
    }
  }
}

function times(v: unknown, at: string, out: Array<[string, unknown]>): void {
  if (Array.isArray(v)) v.forEach((x, i) => times(x, `${at}[${i}]`, out));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) (TIME_KEYS.has(k) ? out.push([`${at}.${k}`, x]) : times(x, `${at}.${k}`, out));
}

function impactProblems(o: Record<string, unknown>, validateCore: ValidateFunction): string[] {
  const p: string[] = [];
  const { extensions, ...rest } = o;
  if (!validateCore(rest)) p.push(`impact common properties: ${errors(validateCore)}`);
  const ext = (extensions ?? {}) as Record<string, Record<string, unknown>>;
  if (ext['extension-definition--7cc33dd6-f6a1-489b-98ea-522d351d71b9']?.extension_type !== 'new-sdo') p.push('impact lacks its new-sdo extension definition');
  const cat = o.impact_category;
  if (typeof cat !== 'string' || ext[cat] === undefined) p.push(`impact_category ${String(cat)} has no extension of that name`);
  const a = ext.availability?.availability_impact;
  if (cat === 'availability' && !(Number.isInteger(a) && (a as number) >= 0 && (a as number) <= 100)) p.push(`availability_impact ${String(a)} is not an integer 0..100`);
  return p;
}

/** A STIX 2.1 bundle checker (see the module comment): returns the problems found, [] when valid. */
export function stixValidator(dir: string): (bundle: unknown) => string[] {
  const ajv = ajvFor(jsonFiles(path.join(dir, 'stix2.1', 'schemas')));
  const schemaOf = (type: string): ValidateFunction | undefined => {
    for (const folder of ['sdos', 'sros', 'observables', 'common']) {
      const v = ajv.getSchema(`${STIX_BASE}/${folder}/${type}.json`);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const core = ajv.getSchema(`${STIX_BASE}/common/core.json`)!;
  const envelope = ajv.getSchema(`${STIX_BASE}/common/bundle.json`)!;
  return (bundle) => {
    const b = bundle as { type?: unknown; id?: unknown; objects?: Array<Record<string, unknown>> };
    const p: string[] = [];
    if (!envelope({ type: b.type, id: b.id })) p.push(`bundle envelope: ${errors(envelope)}`);
    if (!Array.isArray(b.objects) || b.objects.length === 0) return [...p, 'bundle has no objects'];
    const ids = new Set<string>();
    for (const o of b.objects) {
      const id = String(o.id);
      if (ids.has(id)) p.push(`duplicate id ${id}`);
      ids.add(id);
      if (o.type === 'impact') p.push(...impactProblems(o, core));
      else {
        const v = schemaOf(String(o.type));
        if (v === undefined) p.push(`no schema for ${String(o.type)}`);
        else if (!v(o)) p.push(`${id}: ${errors(v)}`);
      }
      if (['ipv4-addr', 'ipv6-addr', 'autonomous-system', 'network-traffic'].includes(String(o.type)) && scoId(String(o.type), o) !== id) p.push(`${id} is not the UUIDv5 of its contributing properties`);
    }
    const found: Array<[string, string]> = [];
    refs(b.objects, 'objects', found);
    for (const [at, ref] of found) if (!ids.has(ref)) p.push(`${at} = ${ref} does not resolve inside the bundle`);
    const stamps: Array<[string, unknown]> = [];
    times(b.objects, 'objects', stamps);
    for (const [at, t] of stamps) if (typeof t !== 'string' || !RFC3339_UTC.test(t) || !Number.isFinite(Date.parse(t))) p.push(`${at} = ${String(t)} is not an RFC 3339 UTC timestamp`);
    return p;
  };
}

/** An X-ARF v4 connection/ddos checker: problems per draft, [] when every draft is valid. */
export function xarfValidator(dir: string): (drafts: unknown) => string[] {
  const ajv = ajvFor(jsonFiles(path.join(dir, 'xarf-v4', 'schemas', 'v4')));
  const ddos = ajv.getSchema('https://xarf.org/schemas/v4/types/connection-ddos.json')!;
  const master = ajv.getSchema('https://xarf.org/schemas/v4/xarf-v4-master.json')!;
  return (drafts) => {
    if (!Array.isArray(drafts)) return ['drafts are not an array'];
    const p: string[] = [];
    drafts.forEach((d, i) => {
      if (!ddos(d)) p.push(`draft ${i} (connection-ddos): ${errors(ddos)}`);
      if (!master(d)) p.push(`draft ${i} (master): ${errors(master)}`);
    });
    return p;
  };
}

interface MispTemplate {
  readonly uuid: string;
  readonly version: number;
  readonly name: string;
  readonly 'meta-category': string;
  readonly requiredOneOf?: readonly string[];
  readonly attributes: Readonly<Record<string, { 'misp-attribute': string; categories?: string[]; multiple?: boolean; values_list?: string[]; sane_default?: string[] }>>;
}

/** A MISP event checker for its `ddos` objects against the template: problems, [] when valid. */
export function mispValidator(dir: string): (event: unknown) => string[] {
  const t = JSON.parse(fs.readFileSync(path.join(dir, 'misp-objects', 'ddos', 'definition.json'), 'utf8')) as MispTemplate;
  return (event) => {
    const e = (event as { Event?: { Object?: Array<Record<string, unknown>>; Tag?: Array<{ name: string }> } }).Event;
    if (e === undefined) return ['no Event'];
    const p: string[] = [];
    for (const [i, o] of (e.Object ?? []).entries()) {
      if (o.name !== t.name || o.template_uuid !== t.uuid || o.template_version !== String(t.version) || o['meta-category'] !== t['meta-category']) p.push(`object ${i}: not the ${t.name} template v${t.version}`);
      const attrs = (o.Attribute ?? []) as Array<Record<string, unknown>>;
      const seen = new Map<string, number>();
      for (const a of attrs) {
        const rel = String(a.object_relation);
        const def = t.attributes[rel];
        if (def === undefined) { p.push(`object ${i}: ${rel} is not an attribute of the template`); continue; }
        seen.set(rel, (seen.get(rel) ?? 0) + 1);
        if (a.type !== def['misp-attribute']) p.push(`object ${i}: ${rel} has type ${String(a.type)}, the template says ${def['misp-attribute']}`);
        if (def.categories !== undefined && !def.categories.includes(String(a.category))) p.push(`object ${i}: ${rel} category ${String(a.category)} not in ${def.categories.join(', ')}`);
        if (def.values_list !== undefined && !def.values_list.includes(String(a.value))) p.push(`object ${i}: ${rel} value ${String(a.value)} not in the template's list`);
        if (def.sane_default !== undefined && rel === 'type' && !def.sane_default.includes(String(a.value))) p.push(`object ${i}: type ${String(a.value)} is not one of the template's values`);
      }
      for (const [rel, n] of seen) if (n > 1 && t.attributes[rel]?.multiple !== true) p.push(`object ${i}: ${rel} appears ${n} times but is not multiple`);
      if (t.requiredOneOf !== undefined && !t.requiredOneOf.some((r) => seen.has(r))) p.push(`object ${i}: none of ${t.requiredOneOf.join(', ')}`);
    }
    return p;
  };
}
