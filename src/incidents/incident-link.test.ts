import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKmv } from '../core/detect/kmv.ts';
import { hash32 } from '../core/sketch/hash.ts';
import type { IncidentRecord } from '../stores/index.ts';
import { buildFingerprint } from './fingerprint/build-fingerprint.ts';
import type { AttackFingerprint } from './fingerprint/fingerprint-types.ts';
import { linkIncident } from './incident-link.ts';

/** A many-source flood: 2,000 /24s with 0.05% of the requests each (top lists say little), one path. */
function manySources(firstOctet: number, openedAtMs: number): AttackFingerprint {
  const prefixes = Array.from({ length: 2000 }, (_, i) => `${firstOctet}.${i >> 8}.${i & 255}.0/24`);
  const kmv = createKmv();
  for (const p of prefixes) kmv.add(hash32(p, 0x2545f491));
  const summary = {
    version: 1,
    uncleared_requests: 100_000,
    top: { prefix: prefixes.slice(0, 50).map((key) => ({ key, share: 0.0005 })), path: [{ key: '/search', share: 1 }], user_agent: [{ key: 'kit/1', share: 1 }] },
    rate: { peak_rps: 1000, mean_rps: 800, duration_s: 60, ramp_s: 2 },
    source_signature: kmv.values(),
  };
  return buildFingerprint({
    site: 's', openedAtMs, endedAtMs: openedAtMs + 60_000, totalRequests: 100_000, distinctSources: 2000, peakRps: 1000, summary,
    methods: { GET: 100_000 }, rateProfile: { bucket_seconds: 1, values: [200, 1000, 1000, 900, 0] },
  });
}

function record(id: string): IncidentRecord {
  return { id, site: 's', openedAtMs: 0, closedAtMs: 1, status: 'closed', summary: {} } as unknown as IncidentRecord;
}

test('many-source floods: the whole-incident source sketches tell the same botnet from a copycat', () => {
  const first = manySources(20, 0);
  const again = manySources(20, 86_400_000);
  const copy = manySources(40, 2 * 86_400_000);
  const same = linkIncident(again, [{ record: record('inc-1'), fingerprint: first }])!;
  assert.equal(same.linkVerdict, 'same_actor');
  assert.equal(same.linkEvidence.confidence, 'high', same.linkEvidence.reason);
  assert.match(same.linkEvidence.reason, /every source prefix \(bottom-k sketch\)/);
  const copied = linkIncident(copy, [{ record: record('inc-1'), fingerprint: first }])!;
  assert.equal(copied.linkVerdict, 'copycat', copied.linkEvidence.reason);
  assert.ok(copied.linkEvidence.network_similarity < 0.05);
});

test('the most telling candidate wins: same actor over copycat, whatever the order', () => {
  const a = manySources(20, 0);
  const b = manySources(40, 1000);
  const now = manySources(20, 86_400_000);
  const link = linkIncident(now, [{ record: record('inc-b'), fingerprint: b }, { record: record('inc-a'), fingerprint: a }])!;
  assert.equal(link.linkedTo, 'inc-a');
  assert.deepEqual(link.linkEvidence.compared.map((c) => [c.id, c.verdict]), [['inc-b', 'copycat'], ['inc-a', 'same_actor']]);
  assert.equal(linkIncident(now, []), null);
});
