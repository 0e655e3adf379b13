/**
 * Recurrence (docs/threats.md): the same botnet comes back — the second incident is linked to the first as
 * `same_actor`; a different botnet copying its pattern (same path, fingerprint and user agent from other
 * networks) is linked as a `copycat`. Also: privacy (addresses truncated at write, source data removed
 * after the retention period) and a site leaving the config mid-incident.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BOTNET_A, createHarness, flood, visitors, type FloodShape, type Harness } from './harness.ts';
import { parseFingerprint } from '../../src/incidents/fingerprint/read-fingerprint.ts';

const SITE = 'news';
const BOTNET_B: FloodShape = { ...BOTNET_A, block: 9, addresses: 2500 };
const UNRELATED: FloodShape = { block: 20, addresses: 2200, path: '/login', fingerprint: 'fp-other', userAgent: 'curl/8.5' };

/** Quiet → flood of `shape` for 20 s → quiet until the incident closes. Returns the incident id. */
async function episode(h: Harness, shape: FloodShape): Promise<string> {
  const level = () => h.service.levelOf(SITE);
  await h.run(20, (s) => [...visitors(SITE, 50, s, level()), ...flood(SITE, 3000, s, level(), shape)]);
  const open = await h.stores.incidents.openIncidents();
  assert.equal(open.length, 1, 'an incident is open during the flood');
  for (let i = 0; i < 200 && (await h.stores.incidents.openIncidents()).length > 0; i++) await h.run(1, (s) => visitors(SITE, 50, s, level()));
  assert.equal((await h.stores.incidents.openIncidents()).length, 0, 'closed after the flood');
  return open[0]!.id;
}

describe('recurrence', () => {
  const harnesses: Harness[] = [];
  after(async () => {
    for (const h of harnesses) await h.dispose();
  });

  it('links the same botnet as same_actor, a copy of its pattern from other networks as copycat, and a different attack as different', async () => {
    const h = await createHarness();
    harnesses.push(h);
    await h.run(90, (s) => visitors(SITE, 50, s, 'normal'));
    const first = await episode(h, BOTNET_A);
    const second = await episode(h, BOTNET_A);
    const copy = await episode(h, BOTNET_B);
    const other = await episode(h, UNRELATED);

    const a = (await h.stores.incidents.get(first, { timeline: false }))!;
    assert.equal(a.linkedTo, null);
    const b = (await h.stores.incidents.get(second, { timeline: false }))!;
    assert.equal(b.linkedTo, first);
    assert.equal(b.linkVerdict, 'same_actor');
    const evidence = b.linkEvidence as { network_similarity: number; dimensions: Array<{ dimension: string; shared: unknown[] }>; compared: unknown[] };
    assert.ok(evidence.network_similarity > 0.5, `network similarity ${evidence.network_similarity}`);
    assert.ok(evidence.dimensions.some((d) => d.dimension === 'prefix' && d.shared.length >= 5), 'shared prefixes named as evidence');
    const fp = parseFingerprint(b.fingerprint);
    assert.ok(fp !== null && fp.fidelity === 'full', 'the attack fingerprint is stored with the incident');
    assert.ok(fp.attack_vectors[0].http_uri['/search']! > 0.9 && fp.rate_profile.values.length > 0 && fp.time_end === new Date(b.closedAtMs!).toISOString());

    const c = (await h.stores.incidents.get(copy, { timeline: false }))!;
    assert.equal(c.linkVerdict, 'copycat', JSON.stringify(c.linkEvidence));
    assert.ok(c.linkedTo === first || c.linkedTo === second);
    const ce = c.linkEvidence as { pattern_similarity: number; network_similarity: number; compared: unknown[] };
    assert.ok(ce.pattern_similarity > 0.8 && ce.network_similarity < 0.1, JSON.stringify(ce));
    assert.equal(ce.compared.length, 2, 'compared with both earlier incidents');

    const d = (await h.stores.incidents.get(other, { timeline: false }))!;
    assert.equal(d.linkVerdict, 'different', JSON.stringify(d.linkEvidence));
  });
});

describe('privacy and configuration changes', () => {
  const harnesses: Harness[] = [];
  after(async () => {
    for (const h of harnesses) await h.dispose();
  });

  it('stores addresses truncated when configured, and removes address-level data after the retention period', async () => {
    const h = await createHarness({ detection: { truncate_addresses: true, retention: '1d' } });
    harnesses.push(h);
    await h.run(90, (s) => visitors(SITE, 50, s, 'normal'));
    const id = await episode(h, BOTNET_A);
    const inc = (await h.stores.incidents.get(id, { timeline: false }))!;
    const top = (inc.summary as { top: Record<string, Array<{ key: string; share: number }>> }).top;
    assert.ok(top.address!.length > 0 && top.address!.every((e) => /^(127\.1|10\.0)\.\d+\.0\/24$/.test(e.key)), top.address!.map((e) => e.key).join(', '));
    assert.ok(!JSON.stringify(inc.actions).match(/127\.1\.\d+\.(?!0\/24)\d+/), 'no full address in the actions');

    assert.equal(await h.service.sweep(), 0, 'nothing older than the retention period yet');
    await h.run(1, () => []);
    h.second += 86_400 + 60;
    await h.run(1, () => []);
    assert.equal(await h.service.sweep(), 1);
    const purged = (await h.stores.incidents.get(id, { timeline: false }))!;
    assert.ok(purged.sourceDataPurgedAtMs !== null);
    assert.equal((purged.summary as { top: Record<string, unknown> }).top.address, undefined);
    assert.ok(((purged.summary as { top: Record<string, unknown[]> }).top.prefix ?? []).length > 0, 'aggregates kept');
  });

  it('closes the open incident of a site removed from the config as interrupted', async () => {
    const sites = ['news', 'blog'];
    const h = await createHarness({ sites });
    harnesses.push(h);
    await h.run(90, (s) => [...visitors('news', 50, s, 'normal'), ...visitors('blog', 20, s, 'normal')]);
    await h.run(6, (s) => [...visitors('news', 50, s, 'normal'), ...flood('news', 3000, s, h.service.levelOf('news'))]);
    const [open] = await h.stores.incidents.openIncidents();
    assert.equal(open?.site, 'news');
    sites.splice(0, 1);
    await h.run(1, (s) => visitors('blog', 20, s, 'normal'));
    const inc = (await h.stores.incidents.get(open!.id, { timeline: false }))!;
    assert.equal(inc.status, 'closed');
    assert.equal(inc.closeReason, 'interrupted');
    assert.deepEqual(Object.keys(h.service.stats().sites), ['blog']);
    assert.equal(h.service.levelOf('news'), 'normal');
  });
});
