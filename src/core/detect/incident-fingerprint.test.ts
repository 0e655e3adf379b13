import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { byDimension, type ByDimension } from './dimensions.ts';
import type { HeavyHitter, HeavyKey } from './heavy-hitters.ts';
import { compareIncidents, createIncidentRecorder, summariseIncident, type IncidentSummary } from './incident-fingerprint.ts';
import { createSyntheticSite } from './synthetic-site.ts';

type Spec = Partial<Record<keyof ByDimension<unknown>, Array<[HeavyKey, number]>>>;

function summary(spec: Spec, rates: number[] = [100, 5000, 5000, 3000]): IncidentSummary {
  const total = 10_000;
  const heavy = byDimension<HeavyHitter[]>((d) => (spec[d] ?? []).map(([key, share]) => ({ key, count: share * total, error: 0 })));
  return summariseIncident({ heavy, total, rates });
}

const botnet = (offset: number, shares: number[]): Array<[HeavyKey, number]> => shares.map((s, i) => [`203.0.${offset + i}.0/24`, s]);

const FIRST = summary({
  prefix: botnet(0, [0.2, 0.15, 0.1, 0.1, 0.05]),
  asn: [[64666, 0.6], [64667, 0.3]],
  country: [['RU', 0.5], ['CN', 0.3]],
  path: [['/', 0.9]],
  fingerprint: [['botkit-1', 0.95]],
  userAgent: [['Mozilla/5.0 X', 0.3]],
});

describe('incident similarity', () => {
  it('links a recurrence from the same networks to the same actor, even with new tooling', () => {
    const again = summary({
      prefix: botnet(2, [0.25, 0.2, 0.1, 0.05]),
      asn: [[64666, 0.5], [64668, 0.2]],
      country: [['RU', 0.6]],
      path: [['/search', 0.8]],
      fingerprint: [['botkit-2', 0.9]],
    });
    const r = compareIncidents(FIRST, again);
    assert.equal(r.verdict, 'same_actor', r.reason);
    const prefix = r.evidence.find((e) => e.dimension === 'prefix')!;
    assert.deepEqual(prefix.shared.map((s) => s.key).sort(), ['203.0.2.0/24', '203.0.3.0/24', '203.0.4.0/24']);
    assert.match(r.reason, /asn: 64666/);
  });

  it('calls the same pattern from disjoint networks a copycat', () => {
    const copy = summary({
      prefix: [['198.51.100.0/24', 0.4], ['192.0.2.0/24', 0.3]],
      asn: [[65001, 0.7]],
      country: [['US', 0.8]],
      path: [['/', 0.85]],
      fingerprint: [['botkit-1', 0.9]],
      userAgent: [['Mozilla/5.0 X', 0.25]],
    });
    const r = compareIncidents(FIRST, copy);
    assert.equal(r.verdict, 'copycat', r.reason);
    assert.equal(r.network, 0);
    assert.ok(r.pattern > 0.8);
  });

  it('tells a different attack apart, and an incident is the same actor as itself', () => {
    const other = summary({ prefix: [['100.64.0.0/24', 0.9]], asn: [[65100, 1]], path: [['/login', 1]], fingerprint: [['python', 1]] }, [10, 20]);
    const r = compareIncidents(FIRST, other);
    assert.equal(r.verdict, 'different');
    assert.match(r.reason, /nothing shared/);
    assert.ok(r.rateShape < 0.1, 'peaks 250× apart');
    const self = compareIncidents(FIRST, FIRST);
    assert.equal(self.verdict, 'same_actor');
    assert.ok(Math.abs(self.network - 1) < 1e-9 && Math.abs(self.pattern - 1) < 1e-9);
  });

  it('survives JSON and compares with custom thresholds', () => {
    const copy = JSON.parse(JSON.stringify(FIRST)) as IncidentSummary;
    assert.equal(compareIncidents(FIRST, copy, { sameActor: 1.01, copycat: 1.01 }).verdict, 'different');
    assert.equal(compareIncidents(FIRST, copy).verdict, 'same_actor');
  });
});

describe('incident recorder', () => {
  it('accumulates top keys and the rate shape over an incident in bounded memory', () => {
    const rec = createIncidentRecorder({ capacity: 16, topN: 3 });
    const site = createSyntheticSite();
    const rates = [500, 2000, 4000, 3000, 1000];
    rates.forEach((rps, i) => {
      const heavy = { prefix: [['198.51.100.0/24', 0.5], ...Array.from({ length: 30 }, (_, j) => [`10.${i}.${j}.0/24`, 0.01] as const)] as const };
      rec.observe(site.next({ rps, heavy }, 1_700_000_000_000 + i * 1000));
    });
    const s = rec.summary();
    assert.equal(s.top.prefix.length, 3);
    assert.equal(s.top.prefix[0]!.key, '198.51.100.0/24');
    assert.ok(Math.abs(s.top.prefix[0]!.share - 0.5) < 0.05, `${s.top.prefix[0]!.share}`);
    assert.deepEqual(s.rate, { peakRps: 4000, meanRps: 2100, durationS: 5, rampS: 2 });
    assert.equal(rec.seconds, 5);
  });
});
