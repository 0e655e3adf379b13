/**
 * Every export checked against the official standards (testdata/standards.ts): the STIX 2.1 bundle
 * against the OASIS schemas plus the rules a schema cannot express, the X-ARF drafts against the v4
 * connection-ddos schema, the MISP event against the ddos object template — for each recorded incident,
 * with addresses truncated, and after retention removed address-level data. The checkers themselves
 * are shown to catch broken exports, so a pass means something. Skipped, saying why, only when the
 * standards are not next to the repository.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reportsSchema } from '../../config/reports-schema.ts';
import { removeAddressSourceData, removeFingerprintSourceData } from '../../stores/address-redaction.ts';
import type { IncidentWithTimeline } from '../../stores/index.ts';
import { buildMispEvent, buildReportModel, buildStixBundle, buildXarfDrafts, loadReportInput, type ReportModel } from './index.ts';
import { recordedIncidents, withFixtureStore } from './testdata/fixture-store.ts';
import { GOLDEN_CONFIG, GOLDEN_HOSTNAMES } from './testdata/report-config.ts';
import { mispValidator, standardsDir, stixValidator, xarfValidator } from './testdata/standards.ts';

const { dir, why } = standardsDir();
if (dir === null) console.log(`# ${why}`);

/** The recorded incidents with the oldest one's source data removed, as retention does. */
function purged(): IncidentWithTimeline[] {
  return recordedIncidents().map((r, i) => (i === 0 ? { ...r, summary: removeAddressSourceData(r.summary), fingerprint: removeFingerprintSourceData(r.fingerprint), sourceDataPurgedAtMs: r.closedAtMs! + 40 * 86_400_000 } : r));
}

async function models(config = GOLDEN_CONFIG, incidents = recordedIncidents()): Promise<ReportModel[]> {
  return withFixtureStore(async (store) => {
    const out: ReportModel[] = [];
    for (const r of incidents) out.push(buildReportModel((await loadReportInput(store, r.id, { config, hostnames: GOLDEN_HOSTNAMES }))!));
    return out;
  }, incidents);
}

const VARIANTS: ReadonlyArray<[string, () => Promise<ReportModel[]>]> = [
  ['as recorded', () => models()],
  ['sources truncated, TLP:RED', () => models(reportsSchema.parse({ ...GOLDEN_CONFIG, tlp: 'red', truncate_sources: true }))],
  ['after retention removed address-level data', () => models(GOLDEN_CONFIG, purged())],
];

describe('exports against the official standards', { skip: dir === null ? why : false }, () => {
  const stix = dir === null ? null : stixValidator(dir);
  const xarf = dir === null ? null : xarfValidator(dir);
  const misp = dir === null ? null : mispValidator(dir);

  for (const [name, make] of VARIANTS) {
    it(`STIX 2.1, X-ARF v4 and MISP are valid: ${name}`, async () => {
      for (const m of await make()) {
        assert.deepEqual(stix!(buildStixBundle(m)), [], `${m.incident.id} STIX`);
        const drafts = buildXarfDrafts(m).drafts;
        assert.ok(drafts.length > 0, `${m.incident.id}: at least one X-ARF draft`);
        assert.deepEqual(xarf!(drafts), [], `${m.incident.id} X-ARF`);
        const event = buildMispEvent(m);
        assert.ok((event.Event.Object as unknown[]).length > 0);
        assert.deepEqual(misp!(event), [], `${m.incident.id} MISP`);
      }
    });
  }

  it('the checkers catch broken exports (a pass means something)', async () => {
    const [, m] = await models();
    const b = JSON.parse(JSON.stringify(buildStixBundle(m!))) as { objects: Array<Record<string, unknown>> };
    const byType = (t: string) => b.objects.find((o) => o.type === t)!;
    delete byType('incident').name;
    (byType('observed-data').object_refs as string[]).push('ipv4-addr--00000000-0000-5000-8000-000000000000');
    byType('ipv4-addr').value = '198.18.99.0/24';
    byType('indicator').valid_from = '2023-11-15 22:13:55';
    ((byType('impact').extensions as Record<string, Record<string, unknown>>).availability!).availability_impact = 150;
    const problems = stix!(b).join('\n');
    for (const expect of [/required property 'name'/, /does not resolve inside the bundle/, /not the UUIDv5/, /not an RFC 3339 UTC timestamp/, /availability_impact 150/]) assert.match(problems, expect);
    const d = JSON.parse(JSON.stringify(buildXarfDrafts(m!).drafts)) as Array<Record<string, unknown>>;
    d[0]!.protocol = 'http';
    delete d[1]!.first_seen;
    assert.equal(xarf!(d).length, 4, 'two drafts fail both schemas');
    const e = JSON.parse(JSON.stringify(buildMispEvent(m!))) as { Event: { Object: Array<{ Attribute: Array<Record<string, unknown>> }> } };
    e.Event.Object[0]!.Attribute[0]!.type = 'ip-dst';
    e.Event.Object[0]!.Attribute.push({ object_relation: 'first-seen', type: 'datetime', value: '2023-11-15T00:00:00Z' });
    e.Event.Object[1]!.Attribute[0]!.object_relation = 'source';
    assert.deepEqual(misp!(e).map((x) => x.replace(/:.*/, '')), ['object 0', 'object 0', 'object 1']);
  });
});
