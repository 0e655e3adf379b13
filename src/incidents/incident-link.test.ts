import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKmv } from '../core/detect/kmv.ts';
import { hash32 } from '../core/detect/hash.ts';
import { DIMENSIONS } from '../core/detect/index.ts';
import type { IncidentSummary } from '../core/detect/index.ts';
import type { IncidentRecord } from '../stores/index.ts';
import { linkIncident } from './incident-link.ts';

/** A many-source flood: 2,000 /24s with 0.05% of the requests each (top lists say little), one path. */
function manySources(firstOctet: number): { summary: IncidentSummary; signature: number[]; json: Record<string, unknown> } {
  const prefixes = Array.from({ length: 2000 }, (_, i) => `${firstOctet}.${i >> 8}.${i & 255}.0/24`);
  const kmv = createKmv();
  for (const p of prefixes) kmv.add(hash32(p, 0x2545f491));
  const lists: Record<string, { key: string; share: number }[]> = Object.fromEntries(DIMENSIONS.map((d) => [d, []]));
  lists.prefix = prefixes.slice(0, 50).map((key) => ({ key, share: 0.0005 }));
  lists.path = [{ key: '/search', share: 1 }];
  const top = lists as unknown as IncidentSummary['top'];
  const summary: IncidentSummary = { version: 1, totalRequests: 100_000, top, rate: { peakRps: 1000, meanRps: 800, durationS: 60, rampS: 2 } };
  const json = {
    version: 1,
    uncleared_requests: 100_000,
    top: { prefix: lists.prefix, path: [{ key: '/search', share: 1 }] },
    rate: { peak_rps: 1000, mean_rps: 800, duration_s: 60, ramp_s: 2 },
    source_signature: kmv.values(),
  };
  return { summary, signature: kmv.values(), json };
}

function record(id: string, summary: Record<string, unknown>): IncidentRecord {
  return { id, site: 's', openedAtMs: 0, closedAtMs: 1, status: 'closed', summary } as unknown as IncidentRecord;
}

test('many-source floods: the whole-incident source sketches tell the same botnet from a copycat', () => {
  const first = manySources(20);
  const again = manySources(20);
  const copy = manySources(40);
  const same = linkIncident(again.summary, [record('inc-1', first.json)], again.signature)!;
  assert.equal(same.linkVerdict, 'same_actor');
  assert.match(String((same.linkEvidence as { reason: string }).reason), /source prefixes overlap/);
  const copied = linkIncident(copy.summary, [record('inc-1', first.json)], copy.signature)!;
  assert.equal(copied.linkVerdict, 'copycat');
});
