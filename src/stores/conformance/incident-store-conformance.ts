/**
 * The conformance suite every {@link IncidentStore} implementation must pass (one suite per
 * interface, run against every implementation). Call it from the implementation's test file.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IncidentSecond, IncidentStore } from '../types.ts';
import { createFakeClock, rejectsWithCode, withHarness, type FakeClock, type StoreFactory } from './harness.ts';

/** Options the suite varies. */
export interface IncidentConformanceOptions {
  readonly truncateAddresses?: boolean;
  readonly maxTimelineSeconds?: number;
  readonly maxIncidents?: number;
}

type Harness = Awaited<ReturnType<StoreFactory<IncidentStore, IncidentConformanceOptions>>>;

function seconds(fromMs: number, rps: readonly number[], level: IncidentSecond['level'] = 'elevated'): IncidentSecond[] {
  return rps.map((r, i) => ({ t: fromMs + i * 1000, requests: r, distinct: Math.ceil(r / 10), level, outcomes: { forwarded: r - Math.floor(r / 2), challenged: Math.floor(r / 2), dropped: 0 } }));
}

const SUMMARY = {
  top: {
    address: [
      { key: '203.0.113.7', count: 600, share: 0.3 },
      { key: '203.0.113.9', count: 400, share: 0.2 },
      { key: '2001:db8:1:2::5', count: 200, share: 0.1 },
    ],
    prefix: [
      { key: '203.0.113.0/24', count: 1000, share: 0.5 },
      { key: '2001:db8:1:2::/64', count: 200, share: 0.1 },
    ],
    asn: [{ key: 64500, count: 1200, share: 0.6 }],
    path: [{ key: '/login', count: 1800, share: 0.9 }],
    userAgent: [{ key: 'Mozilla/5.0 Foo/1.2.3.4', count: 10, share: 0.01 }],
  },
};
const FINGERPRINT = {
  version: 1,
  attack_vectors: [{ source_prefixes: { '203.0.113.0/24': 0.5, '2001:db8:1:2::/64': 0.1 }, source_ips: ['203.0.113.7', '2001:db8:1:2::5'], http_uri: { '/login': 0.9 } }],
};
const ACTIONS = [{ rule: 'rate-limit prefix 203.0.113.0/24', evidence: 'top address 203.0.113.7 sent 30% of requests', challenged: 500, dropped: 20 }];

/** Runs the IncidentStore conformance suite against `make`. */
export function runIncidentStoreConformance(name: string, make: StoreFactory<IncidentStore, IncidentConformanceOptions>): void {
  const run = (body: (store: IncidentStore, clock: FakeClock, h: Harness) => Promise<void>, opts: IncidentConformanceOptions = {}) => {
    const clock = createFakeClock();
    return withHarness(make, { ...opts, clock }, (h) => body(h.store, clock, h));
  };

  describe(`IncidentStore conformance: ${name}`, () => {
    it('opens incidents with sortable ids, one open incident per site', () =>
      run(async (s, c) => {
        const a = await s.open({ site: 'news', openedAtMs: c.now() });
        assert.equal(a.id, 'inc-20261128-0001');
        assert.deepEqual([a.status, a.peakLevel, a.severity, a.closedAtMs, a.totalRequests, a.timelineSeconds], ['open', 'elevated', 'low', null, 0, 0]);
        await rejectsWithCode(s.open({ site: 'news', openedAtMs: c.now() }), 'BULWARK_ERR_STATE_CONFLICT');
        const b = await s.open({ site: 'party', openedAtMs: c.now(), peakLevel: 'under_attack', severity: 'high' });
        assert.equal(b.id, 'inc-20261128-0002');
        assert.deepEqual([b.peakLevel, b.severity], ['under_attack', 'high']);
        await s.close(a.id, c.now() + 1000);
        c.advance(86_400_000);
        const d = await s.open({ site: 'news', openedAtMs: c.now() });
        assert.equal(d.id, 'inc-20261129-0001');
        assert.ok(d.id > b.id);
        await rejectsWithCode(s.open({ site: '', openedAtMs: c.now() }), 'BULWARK_ERR_STATE_INVALID');
        await rejectsWithCode(s.open({ site: 'x', openedAtMs: c.now(), peakLevel: 'panic' as 'normal' }), 'BULWARK_ERR_STATE_INVALID');
      }));

    it('appends timeline seconds in batches and keeps running aggregates', () =>
      run(async (s, c) => {
        const { id } = await s.open({ site: 'news', openedAtMs: c.now() });
        const t0 = c.now();
        assert.deepEqual(await s.appendSeconds(id, seconds(t0, [100, 300])), { inserted: 2, duplicates: 0, dropped: 0 });
        assert.deepEqual(await s.appendSeconds(id, [...seconds(t0 + 1000, [999]), ...seconds(t0 + 2000, [250], 'under_attack')]), { inserted: 1, duplicates: 1, dropped: 0 });
        assert.deepEqual(await s.appendSeconds(id, []), { inserted: 0, duplicates: 0, dropped: 0 });
        const got = await s.get(id);
        assert.ok(got);
        assert.deepEqual([got.totalRequests, got.peakRps, got.peakLevel, got.lastSecondMs, got.timelineSeconds], [650, 300, 'under_attack', t0 + 2000, 3]);
        assert.deepEqual(got.timeline.map((x) => [x.t - t0, x.requests, x.level]), [[0, 100, 'elevated'], [1000, 300, 'elevated'], [2000, 250, 'under_attack']]);
        assert.deepEqual(got.timeline[1].outcomes, { forwarded: 150, challenged: 150 }, 'zero counts are not stored');
        assert.equal(got.timeline[1].distinct, 30);
        assert.deepEqual((await s.get(id, { timeline: false }))?.timeline, []);
      }));

    it('writes a batch entirely or not at all', () =>
      run(async (s, c) => {
        const { id } = await s.open({ site: 'news', openedAtMs: c.now() });
        const bad = [...seconds(c.now(), [10, 20]), { t: c.now() + 5000, requests: -1, distinct: 0, level: 'elevated' as const }];
        await rejectsWithCode(s.appendSeconds(id, bad), 'BULWARK_ERR_STATE_INVALID');
        await rejectsWithCode(s.appendSeconds(id, [{ t: c.now(), requests: 1, distinct: 1, level: 'elevated', outcomes: { nonsense: 1 } as never }]), 'BULWARK_ERR_STATE_INVALID');
        const got = await s.get(id);
        assert.deepEqual([got?.timeline.length, got?.totalRequests], [0, 0]);
        await rejectsWithCode(s.appendSeconds('inc-nope', seconds(c.now(), [1])), 'BULWARK_ERR_STATE_NOT_FOUND');
      }));

    it('updates fields, links incidents and closes with final values', () =>
      run(async (s, c) => {
        const first = await s.open({ site: 'news', openedAtMs: c.now() });
        await s.close(first.id, c.now() + 60_000, { summary: SUMMARY });
        c.advance(3_600_000);
        const { id } = await s.open({ site: 'news', openedAtMs: c.now() });
        const u = await s.update(id, { severity: 'medium', distinctSources: 2100, summary: SUMMARY, actions: ACTIONS, visitors: { clearedSuccess: 0.99, p50Ms: 40, solveRate: 0.9 }, nowMs: c.now() + 1 });
        assert.deepEqual([u.severity, u.distinctSources, u.updatedAtMs], ['medium', 2100, c.now() + 1]);
        assert.deepEqual(u.summary, SUMMARY);
        assert.deepEqual(u.actions, ACTIONS);
        const linked = await s.update(id, { linkedTo: first.id, linkVerdict: 'same_actor', linkEvidence: { prefixOverlap: 0.8 } });
        assert.deepEqual([linked.linkedTo, linked.linkVerdict, linked.linkEvidence], [first.id, 'same_actor', { prefixOverlap: 0.8 }]);
        await rejectsWithCode(s.update(id, { linkedTo: 'inc-20000101-0001' }), 'BULWARK_ERR_STATE_INVALID');
        await rejectsWithCode(s.update(id, { linkedTo: id }), 'BULWARK_ERR_STATE_INVALID');
        await rejectsWithCode(s.update(id, { severity: 'apocalyptic' as 'low' }), 'BULWARK_ERR_STATE_INVALID');
        await rejectsWithCode(s.update('inc-nope', { severity: 'low' }), 'BULWARK_ERR_STATE_NOT_FOUND');
        const closed = await s.close(id, c.now() + 120_000, { severity: 'high', peakRps: 5000, totalRequests: 123_456 });
        assert.deepEqual([closed.status, closed.closedAtMs, closed.closeReason, closed.severity, closed.peakRps, closed.totalRequests], ['closed', c.now() + 120_000, 'calm', 'high', 5000, 123_456]);
        assert.equal(closed.linkVerdict, 'same_actor', 'fields not given keep their values');
        await rejectsWithCode(s.close(id, c.now() + 130_000), 'BULWARK_ERR_STATE_CONFLICT');
        await rejectsWithCode(s.appendSeconds(id, seconds(c.now(), [1])), 'BULWARK_ERR_STATE_CONFLICT');
        await rejectsWithCode(s.close(first.id, 0), 'BULWARK_ERR_STATE_CONFLICT');
      }));

    it('lists newest first with filters, and finds the latest closed incidents of a site', () =>
      run(async (s, c) => {
        const ids: string[] = [];
        for (let i = 0; i < 4; i++) {
          const site = i % 2 === 0 ? 'news' : 'party';
          const { id } = await s.open({ site, openedAtMs: c.now() });
          ids.push(id);
          if (i < 3) await s.close(id, c.now() + 10_000 * (i + 1));
          c.advance(60_000);
        }
        assert.deepEqual((await s.list()).map((x) => x.id), [...ids].reverse());
        assert.deepEqual((await s.list({ site: 'news' })).map((x) => x.id), [ids[2], ids[0]]);
        assert.deepEqual((await s.list({ status: 'open' })).map((x) => x.id), [ids[3]]);
        assert.deepEqual((await s.list({ limit: 2 })).map((x) => x.id), [ids[3], ids[2]]);
        const before = (await s.get(ids[2]))!.openedAtMs;
        assert.deepEqual((await s.list({ openedBeforeMs: before })).map((x) => x.id), [ids[1], ids[0]]);
        assert.deepEqual((await s.latestClosed('news', 5)).map((x) => x.id), [ids[2], ids[0]]);
        assert.deepEqual((await s.latestClosed('party', 5)).map((x) => x.id), [ids[1]]);
        assert.deepEqual((await s.openIncidents()).map((x) => x.id), [ids[3]]);
      }));

    it('keeps an open incident across a restart; recoverOpen continues or closes it', () =>
      run(async (s, c, h) => {
        const a = await s.open({ site: 'news', openedAtMs: c.now() });
        const b = await s.open({ site: 'party', openedAtMs: c.now() });
        await s.appendSeconds(a.id, seconds(c.now(), [10, 20, 30]));
        c.advance(10 * 60_000);
        await s.appendSeconds(b.id, seconds(c.now(), [5]));
        c.advance(30_000);
        const again = await h.reopen();
        assert.deepEqual((await again.openIncidents()).map((x) => x.id), [a.id, b.id]);
        assert.equal((await again.get(a.id))?.timeline.length, 3);
        const r = await again.recoverOpen({ policy: 'continue', nowMs: c.now(), maxGapMs: 5 * 60_000 });
        assert.deepEqual(r.continued.map((x) => x.id), [b.id]);
        assert.deepEqual(r.closed.map((x) => [x.id, x.closeReason, x.closedAtMs]), [[a.id, 'interrupted', a.openedAtMs + 3000]]);
        await again.appendSeconds(b.id, seconds(c.now(), [7]));
        const r2 = await again.recoverOpen({ policy: 'close_interrupted', nowMs: c.now() });
        assert.deepEqual(r2.closed.map((x) => [x.id, x.closeReason, x.totalRequests]), [[b.id, 'interrupted', 12]]);
        assert.deepEqual(await again.openIncidents(), []);
      }));

    it('purges address-level source data after retention and keeps aggregates', () =>
      run(async (s, c) => {
        const old = await s.open({ site: 'news', openedAtMs: c.now(), summary: SUMMARY, actions: ACTIONS });
        await s.appendSeconds(old.id, seconds(c.now(), [100, 200]));
        await s.update(old.id, { linkEvidence: { sharedAddresses: ['203.0.113.7'] } });
        await s.close(old.id, c.now() + 2000, { distinctSources: 900 });
        c.advance(40 * 86_400_000);
        const recent = await s.open({ site: 'news', openedAtMs: c.now(), summary: SUMMARY });
        await s.close(recent.id, c.now() + 1000);
        const stillOpen = await s.open({ site: 'party', openedAtMs: 0, summary: SUMMARY });
        assert.equal(await s.purgeSourceData(c.now() - 30 * 86_400_000, c.now()), 1);
        assert.equal(await s.purgeSourceData(c.now() - 30 * 86_400_000, c.now()), 0, 'idempotent');
        const got = (await s.get(old.id))!;
        assert.equal(got.sourceDataPurgedAtMs, c.now());
        const top = (got.summary as typeof SUMMARY).top;
        assert.equal('address' in top, false);
        assert.deepEqual(top.prefix, [{ key: '203.0.113.0/24', count: 1000, share: 0.5 }, { key: '2001:db8:1::/48', count: 200, share: 0.1 }]);
        assert.deepEqual(top.asn, SUMMARY.top.asn);
        assert.deepEqual(top.userAgent, SUMMARY.top.userAgent, 'version numbers in user agents are not addresses');
        assert.equal((got.actions as typeof ACTIONS)[0].evidence, 'top address 203.0.113.0/24 sent 30% of requests');
        assert.deepEqual(got.linkEvidence, { sharedAddresses: ['203.0.113.0/24'] });
        assert.deepEqual([got.totalRequests, got.peakRps, got.distinctSources, got.timeline.length], [300, 200, 900, 2]);
        assert.deepEqual((await s.get(recent.id))!.summary, SUMMARY);
        assert.deepEqual((await s.get(stillOpen.id))!.summary, SUMMARY);
      }));

    it('stores the attack fingerprint; retention removes its source addresses and truncates the rest', () =>
      run(async (s, c) => {
        const inc = await s.open({ site: 'news', openedAtMs: c.now() });
        assert.equal(inc.fingerprint ?? null, null, 'none until one is written');
        await s.update(inc.id, { fingerprint: FINGERPRINT });
        assert.deepEqual((await s.get(inc.id))!.fingerprint, FINGERPRINT);
        await s.close(inc.id, c.now() + 1000);
        c.advance(40 * 86_400_000);
        assert.equal(await s.purgeSourceData(c.now() - 30 * 86_400_000, c.now()), 1);
        const fp = (await s.get(inc.id))!.fingerprint as { attack_vectors: Array<Record<string, unknown>> };
        assert.equal('source_ips' in fp.attack_vectors[0]!, false);
        assert.deepEqual(fp.attack_vectors[0]!.source_prefixes, { '203.0.113.0/24': 0.5, '2001:db8:1::/48': 0.1 });
        assert.deepEqual(fp.attack_vectors[0]!.http_uri, { '/login': 0.9 });
        await s.update(inc.id, { fingerprint: null });
        assert.equal((await s.get(inc.id))!.fingerprint, null);
      }));

    it('truncates addresses at write time when asked', () =>
      run(
        async (s, c) => {
          const { id } = await s.open({ site: 'news', openedAtMs: c.now(), summary: SUMMARY, actions: ACTIONS });
          const got = (await s.get(id))!;
          assert.equal(got.addressesTruncated, true);
          const top = (got.summary as typeof SUMMARY).top;
          assert.deepEqual(top.address, [
            { key: '203.0.113.0/24', count: 1000, share: 0.5 },
            { key: '2001:db8:1::/48', count: 200, share: 0.1 },
          ]);
          assert.equal(JSON.stringify(got).includes('203.0.113.7'), false);
          await s.update(id, { fingerprint: FINGERPRINT });
          assert.deepEqual(((await s.get(id))!.fingerprint as typeof FINGERPRINT).attack_vectors[0]!.source_ips, ['203.0.113.0/24', '2001:db8:1::/48']);
          await s.appendSeconds(id, [{ t: c.now(), requests: 1, distinct: 1, level: 'elevated', extra: { worst: '198.51.100.23' } }]);
          assert.deepEqual((await s.get(id))!.timeline[0].extra, { worst: '198.51.100.0/24' });
        },
        { truncateAddresses: true },
      ));

    it('caps the timeline per incident and the number of incidents', () =>
      run(
        async (s, c) => {
          const { id } = await s.open({ site: 'news', openedAtMs: c.now() });
          assert.deepEqual(await s.appendSeconds(id, seconds(c.now(), [1, 2, 3, 4, 5])), { inserted: 3, duplicates: 0, dropped: 2 });
          const got = (await s.get(id))!;
          assert.deepEqual([got.timelineSeconds, got.timelineDropped, got.totalRequests], [3, 2, 6]);
          await s.close(id, c.now() + 5000);
          const more: string[] = [];
          for (let i = 0; i < 3; i++) {
            c.advance(60_000);
            const o = await s.open({ site: `s${i}`, openedAtMs: c.now() });
            more.push(o.id);
            await s.close(o.id, c.now() + 1000);
          }
          assert.equal(await s.get(id), undefined, 'the oldest closed incident made room');
          const st = await s.stats();
          assert.deepEqual([st.incidents, st.maxIncidents, st.maxTimelineSeconds, st.timelineRows], [3, 3, 3, 0]);
          assert.equal(await s.deleteClosedBefore(c.now() + 1000), 2);
          assert.equal((await s.stats()).incidents, 1);
        },
        { maxTimelineSeconds: 3, maxIncidents: 3 },
      ));
  });
}
