/**
 * The HTTP methods of uncleared requests, counted for the incident fingerprint: in one process, and
 * across processes (workers, nodes) through the contribution a serving process hands the leader — the
 * same encoding the cluster bus carries.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeContribution, encodeContribution } from '../cluster/contribution-codec.ts';
import { createContributionCollector } from './contribution.ts';
import type { DetectionRecord } from './detection-record.ts';
import { createSiteExtras } from './site-extras.ts';

const record = (method: string, cleared: boolean, timeMs: number): DetectionRecord => ({
  timeMs, site: 'news', outcome: 'challenged', status: 403, path: '/login', clientAddress: '198.51.100.7', prefix: '198.51.100.0/24', userAgent: 'x',
  bytesIn: 1, bytesOut: 1, originLatencyMs: -1, decisionBy: 'level/under_attack', cacheStatus: null, cleared, asn: null, country: null, fingerprint: 'f',
  uaClass: 'unknown', challenge: null, method,
});

it('counts uncleared requests by method (unknown tokens as OTHER), and starts anew after each take', () => {
  const x = createSiteExtras(1);
  for (const [m, cleared] of [['GET', false], ['post', false], ['BREW', false], ['GET', true], ['', false]] as const) x.observe(10, cleared, -1, 'level/under_attack', '198.51.100.7', '198.51.100.0/24', undefined, m);
  assert.deepEqual(x.takeMethods(), { GET: 1, POST: 1, OTHER: 1 });
  assert.deepEqual(x.takeMethods(), {});
});

it('carries method counts from a serving process to the leader through the bus encoding', () => {
  const worker = createContributionCollector({ hashSeed: 7, sites: () => ['news'] });
  for (let i = 0; i < 5; i++) worker.observe(record(i < 3 ? 'POST' : 'GET', false, 10_000 + i));
  worker.observe(record('GET', true, 10_100));
  const [part] = worker.take(10);
  assert.ok(part !== undefined);
  const wire = JSON.parse(JSON.stringify(encodeContribution(part)));
  const back = decodeContribution(wire, { counters: part.aggregates.counters.length, latency: part.aggregates.latency.length, registers: part.aggregates.all.length, dimensions: part.aggregates.heavy.length });
  assert.ok(back !== null);
  const leader = createSiteExtras(7);
  leader.merge(back.extras);
  leader.merge({ ...back.extras, methods: undefined });
  assert.deepEqual(leader.takeMethods(), { POST: 3, GET: 2 });
});
