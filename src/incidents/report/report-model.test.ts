/**
 * The report model and its formats on the recorded incidents: the summary says what the tables say,
 * privacy settings and retention hold in every format, attacker-controlled text is escaped, the HTML
 * loads nothing, open incidents read as open, and abuse reports leave the site's own visitors out.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reportsSchema } from '../../config/reports-schema.ts';
import { removeAddressSourceData, removeFingerprintSourceData } from '../../stores/address-redaction.ts';
import type { IncidentWithTimeline } from '../../stores/index.ts';
import { abuseGroups } from './abuse-groups.ts';
import { buildReportModel, buildStixBundle, loadReportInput, REPORT_FORMATS, renderReport, type ReportModel } from './index.ts';
import { recordedIncidents, withFixtureStore } from './testdata/fixture-store.ts';
import { GOLDEN_CONFIG, GOLDEN_HOSTNAMES } from './testdata/report-config.ts';

const ID = 'inc-20231115-0001';

async function model(incidents: IncidentWithTimeline[] = recordedIncidents(), config = GOLDEN_CONFIG, id = ID): Promise<ReportModel> {
  return withFixtureStore(async (store) => buildReportModel((await loadReportInput(store, id, { config, hostnames: GOLDEN_HOSTNAMES }))!), incidents);
}

function allFormats(m: ReportModel): string {
  return REPORT_FORMATS.map((f) => renderReport(m, f).body).join('\n');
}

/** Full client addresses: IPv4 not ending in .0/.., IPv6 with a host part (2001:db8:a:1::b2). */
const FULL_V4 = /\b198\.1[89]\.\d{1,3}\.(?!0\/)\d{1,3}\b(?!\/)/;
const FULL_V6 = /2001:db8:[ab]:\d::[0-9a-f]+\b(?!\/)/;

describe('report model', () => {
  it('opens with a summary in plain words that agrees with the record', async () => {
    const m = await model();
    assert.equal(m.summary.headline, 'Medium-severity HTTP flood on news: 86,540 requests in 1 min 19 s, peak 2,640 req/s');
    const text = m.summary.paragraphs.join(' ');
    for (const expect of [/On 15 Nov 2023 from 22:13:54 to 22:15:13 UTC/, /about 2,629 distinct addresses/, /EXAMPLE-CLOUD-B/, /100\.0% of them were served/, /raised the threat level to under attack 1 s after the start/, /Same actor as inc-20231114-0001 \(high confidence\)/]) assert.match(text, expect);
    assert.equal(m.incident.total_requests, 86_540);
    assert.deepEqual(m.recurrence.related.map((r) => [r.id, r.when, r.linked, r.comparison.verdict]), [['inc-20231114-0001', 'earlier', true, 'same_actor'], ['inc-20231116-0001', 'later', false, 'copycat']]);
    assert.ok(m.timeline.points.length > 0 && m.timeline.markers.some((k) => k.kind === 'level'));
    assert.equal(m.sources.networks[0]!.as_name, 'EXAMPLE-CLOUD-B (documentation AS)');
    assert.deepEqual(m.privacy, { truncated: false, withheld: [] });
  });

  it('with reports.truncate_sources, no format shows a full client address, and each says so', async () => {
    const plain = allFormats(await model());
    assert.match(plain, FULL_V4, 'the fixture has full addresses to hide');
    const m = await model(undefined, reportsSchema.parse({ ...GOLDEN_CONFIG, truncate_sources: true }));
    const text = allFormats(m);
    assert.doesNotMatch(text, FULL_V4);
    assert.doesNotMatch(text, FULL_V6);
    assert.equal(m.sources.addresses, null);
    assert.equal(m.privacy.truncated, true);
    assert.match(m.privacy.withheld.join(' '), /reports\.truncate_sources/);
    assert.match(renderReport(m, 'html').body, /shown truncated to their \/24/);
    assert.equal(m.recurrence.related[0]!.comparison.verdict, 'same_actor', 'verdicts still stand on truncated data');
  });

  it('after retention, address-level data stays gone in every format and the report says when it went', async () => {
    const incidents = recordedIncidents();
    const addresses = ((incidents[1]!.summary as { top: { address: Array<{ key: string }> } }).top.address).map((a) => a.key);
    const purgedAt = Date.UTC(2023, 11, 25);
    incidents[1] = { ...incidents[1]!, summary: removeAddressSourceData(incidents[1]!.summary), fingerprint: removeFingerprintSourceData(incidents[1]!.fingerprint), sourceDataPurgedAtMs: purgedAt };
    const m = await model(incidents);
    const text = allFormats(m);
    for (const a of addresses.filter((x) => !x.startsWith('192.0.2.'))) assert.equal(text.includes(`"${a}"`) || text.includes(`>${a}<`), false, `${a} resurrected`);
    assert.match(m.privacy.withheld.join(' '), /removed on 25 Dec 2023 .* retention/);
    assert.equal(m.sources.addresses, null);
  });

  it('escapes attacker-controlled text and loads nothing', async () => {
    const incidents = recordedIncidents();
    const evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>';
    const s = incidents[1]!.summary as { top: { user_agent: Array<{ key: string; share: number; count: number }> } };
    s.top.user_agent.unshift({ key: evil, share: 0.5, count: 1 });
    const fp = incidents[1]!.fingerprint as { attack_vectors: Array<{ http_user_agent: Record<string, number> }> };
    fp.attack_vectors[0]!.http_user_agent = { [evil]: 0.5, ...fp.attack_vectors[0]!.http_user_agent };
    const html = renderReport(await model(incidents), 'html').body;
    assert.equal(html.includes('<script'), false);
    assert.equal(html.includes('<img'), false);
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    assert.doesNotMatch(html, /<[^>]*\s(src|href|srcset|action)\s*=/i, 'no element loads or links anything');
    assert.doesNotMatch(html, /url\(|@import/i, 'the style loads nothing');
  });

  it('an open incident reads as open in words and in STIX', async () => {
    const incidents = recordedIncidents();
    const last = incidents[2]!;
    incidents[2] = { ...last, status: 'open', closedAtMs: null, closeReason: null };
    const m = await model(incidents, GOLDEN_CONFIG, last.id);
    assert.match(m.summary.paragraphs[0]!, /^Since 16 Nov 2023 .* so far, the incident is still open/);
    const inc = buildStixBundle(m).objects.find((o) => o.type === 'incident')!;
    const ext = (inc.extensions as Record<string, { investigation_status: string }>)['extension-definition--ef765651-680c-498d-9894-99799f2fa126']!;
    assert.equal(ext.investigation_status, 'open');
  });

  it('abuse reports leave out the site\'s own visitors and networks sending under 1%', async () => {
    const { groups, leftOut } = abuseGroups(await model());
    assert.deepEqual(groups.map((g) => g.key), ['AS64496', 'AS64497', 'AS64498']);
    assert.deepEqual(leftOut, [{ key: '192.0.2.0/24', reason: "carried up to 100.0% of the site's normal traffic too: its own visitors" }]);
    assert.ok(groups[0]!.addresses.length > 0 && groups[0]!.addresses.every((a) => a.key.startsWith('198.18.')));
  });

  it('X-ARF drafts need a contact: refused with a clear error without one', async () => {
    const m = await model(undefined, reportsSchema.parse({}));
    assert.throws(() => renderReport(m, 'xarf'), { code: 'BULWARK_ERR_REPORT_CONTACT' });
  });
});
