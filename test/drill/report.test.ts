/**
 * The drill's report: time to mitigate (table-driven), the verdict rule, the JSON shape the drill promises
 * for, and the readable table.
 */
import { createVisitorTimeline, onsetFigures, phaseFigures, type VisitorSample } from '../../src/drill/visitors/visitor-timeline.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReport, reportJson, timeToMitigate, verdictOf, type DrillReport } from '../../src/drill/report.ts';
import type { RatePoint } from '../../src/drill/stats.ts';

const T = 1_800_000_000; // a unix second
const series = (counts: readonly number[], from = T): RatePoint[] => counts.map((count, i) => ({ second: from + i, count }));

test('timeToMitigate: first second from which every second lets ≤ 10% through', () => {
  const table: ReadonlyArray<readonly [string, number[], number[], number | null]> = [
    ['never got through', [100, 100, 100], [0, 0, 0], 0],
    ['mitigated at the third second', [100, 100, 100, 100], [100, 60, 10, 0], 2],
    ['exactly 10% counts as mitigated', [100, 100], [50, 10], 1],
    ['relapse restarts the count', [100, 100, 100, 100, 100], [100, 5, 50, 5, 5], 3],
    ['last second still above 10%: never', [100, 100, 100], [0, 0, 11], null],
    ['all through: never', [100, 100], [100, 100], null],
  ];
  for (const [name, sent, reached, expected] of table) assert.equal(timeToMitigate(series(sent), series(reached)), expected, name);
});

test('timeToMitigate: quiet seconds (pauses) are skipped; nothing sent is null', () => {
  const sent = [...series([100, 100]), ...series([0, 0], T + 2), ...series([100], T + 4)];
  assert.equal(timeToMitigate(sent, series([100, 0, 0, 0, 0])), 1);
  assert.equal(timeToMitigate([], []), null);
  assert.equal(timeToMitigate(series([0, 0]), []), null);
});

test('verdictOf: any failure → false; any unjudged → null; else true', () => {
  const ok = { check: 'a', ok: true, detail: '' };
  assert.equal(verdictOf([ok, ok]), true);
  assert.equal(verdictOf([ok, { ...ok, ok: false }]), false);
  assert.equal(verdictOf([ok, { ...ok, ok: null }]), null);
  assert.equal(verdictOf([{ ...ok, ok: null }, { ...ok, ok: false }]), false);
  assert.equal(verdictOf([]), null);
});

/** Visitors' requests around an attack starting at T (figures invented). */
const SAMPLES: VisitorSample[] = [
  { kind: 'browser', group: 'regular', asset: false, startMs: T * 1000 - 2_000, latencyMs: 5, served: true, outcome: 'served', retries: 0 },
  { kind: 'browser', group: 'onset', asset: false, startMs: T * 1000 + 1_000, latencyMs: 6_200, served: true, outcome: 'served', retries: 1 },
  { kind: 'browser', group: 'onset', asset: false, startMs: T * 1000 + 2_000, latencyMs: 12_500, served: true, outcome: 'served', retries: 2 },
  { kind: 'browser', group: 'shared', asset: false, startMs: T * 1000 + 3_000, latencyMs: 40, served: true, outcome: 'served', retries: 0 },
  { kind: 'browser', group: 'shared', asset: true, startMs: T * 1000 + 3_100, latencyMs: 2, served: false, outcome: 'challenged', retries: 0 },
  { kind: 'api', group: 'regular', asset: false, startMs: T * 1000 + 4_999, latencyMs: 3, served: false, outcome: 'shed', retries: 0 },
  { kind: 'nojs', group: 'regular', asset: false, startMs: T * 1000 + 5_000, latencyMs: 7, served: true, outcome: 'served', retries: 0 },
];

test('visitor phases and the onset figure: by first send; served within 10 s of it', () => {
  const first = phaseFigures(SAMPLES, T * 1000, T * 1000 + 5_000);
  assert.deepEqual([first.sent, first.served, first.retried, first.notServedBy], [5, 3, 2, { shed: 1, challenged: 1 }]);
  assert.equal(first.maxMs, 12_500);
  const o = onsetFigures(SAMPLES, T * 1000);
  assert.deepEqual([o.requests, o.servedWithin, o.ratio], [4, 2, 0.5], 'the 12.5 s one was served, but late; the shed one not at all');
  assert.deepEqual(o.arrivals, { requests: 2, servedWithin: 1, ratio: 0.5 });
  assert.deepEqual(o.shared, { requests: 1, servedWithin: 1, ratio: 1 });
  assert.deepEqual(o.assets, { requests: 1, servedWithin: 0, ratio: 0 }, 'subresources apart');
  assert.equal(onsetFigures([], T * 1000).ratio, null);
  const t = createVisitorTimeline(2);
  for (const s of SAMPLES) t.add(s);
  t.add({ ...SAMPLES[0]!, outcome: 'aborted' });
  assert.deepEqual([t.samples().length, t.dropped()], [2, 5], 'bounded; cut-short requests not counted');
});

/** A report as runDrill builds it (figures invented). */
function sampleReport(): DrillReport {
  const kind = { visitors: 2, sent: 10, served: 10, servedRatio: 1, p50Ms: 2, p99Ms: 9, challenged: 1, challengesPassed: 1, notServedBy: {} };
  return {
    scenario: 'get-flood-few',
    summary: 'GET flood',
    repelledMeans: 'rate-limited',
    protection: 'bulwark',
    mode: 'managed',
    target: 'http://127.0.0.1:1234',
    startedAt: new Date(T * 1000).toISOString(),
    durations: { configuredS: 5, warmupS: 1, attackS: 5, totalS: 8 },
    bounds: { durationS: 5, rate: 100, sources: 10, maxRequests: 550, maxSockets: 512, seed: 1, capacity: 64, visitors: { browser: 2, nojs: 2, api: 2 }, visitorGroups: { onset: 4, shared: 10 }, visitorMaxRequests: 500, originPages: 'no-store', pageLatencyMs: 10 },
    attack: { sent: 500, answered: 500, served: 300, challenged: 100, limited: 50, blocked: 0, shed: 0, dropped: 50, rejected: 0, failed: 0, timeout: 0, byStatus: { 200: 300 }, errors: {}, reachedOrigin: 120, reachedOriginRatio: 0.24, reachedOriginEstimated: false, stoppedBy: 'duration' },
    visitors: {
      ...kind,
      visitors: 6,
      sent: 30,
      served: 30,
      byKind: { browser: kind, nojs: kind, api: kind },
      byGroup: { onset: kind, shared: { ...kind, address: '127.250.14.15' } },
      phases: {
        warmup: phaseFigures(SAMPLES, -Infinity, T * 1000),
        firstFiveS: phaseFigures(SAMPLES, T * 1000, T * 1000 + 5_000),
        rest: phaseFigures(SAMPLES, T * 1000 + 5_000, Infinity),
      },
      solver: { solves: 12, workers: 2, maxQueued: 9, waitP50Ms: 3100, waitP90Ms: 5200, totalP50Ms: 3400, totalP90Ms: 5600, totalMaxMs: 6100 },
    },
    onset: onsetFigures(SAMPLES, T * 1000),
    origin: { capacity: 64, peakConcurrency: 12, peakRps: 90, overCapacity: 0, requests: 150, byClass: { attack: 120, visitor: 30 }, source: 'fixture' },
    timeToMitigateS: 2,
    timeToMitigateNote: 'definition',
    bulwark: { name: 'bulwark', pid: 42, cpuS: 1.5, cpuStartupS: 0.6, peakRssMb: 200, aliveAtEnd: true, exitCode: 0, gracefulExit: true, outcomes: { forwarded: 150 }, levels: [{ atS: -1, level: 'normal' }, { atS: 2, level: 'under_attack' }], challenge: null, connections: { peakOpen: 80, openAtAttackEnd: 40, droppedAtAccept: 3 } },
    marks: [{ event: 'phase', atS: 1 }],
    repelled: { verdict: true, criteria: [{ check: 'real visitors served ≥ 99%', ok: true, detail: '100%' }] },
    details: {},
  };
}

test('the JSON is ONE object with the fields the drill report promises', () => {
  const text = reportJson(sampleReport());
  assert.ok(text.endsWith('}\n'));
  const r = JSON.parse(text) as Record<string, Record<string, unknown>>;
  assert.equal(typeof r, 'object');
  assert.equal(r.scenario as unknown, 'get-flood-few');
  for (const k of ['sent', 'reachedOrigin', 'challenged', 'limited', 'dropped']) assert.equal(typeof r.attack[k], 'number', `attack.${k}`);
  for (const k of ['sent', 'served', 'servedRatio', 'p50Ms', 'p99Ms']) assert.equal(typeof r.visitors[k], 'number', `visitors.${k}`);
  assert.deepEqual(Object.keys(r.visitors.byKind as object).sort(), ['api', 'browser', 'nojs']);
  for (const k of ['capacity', 'peakConcurrency', 'peakRps']) assert.ok(k in r.origin, `origin.${k}`);
  assert.ok('timeToMitigateS' in r);
  for (const k of ['requests', 'servedWithin', 'ratio', 'arrivals', 'shared']) assert.ok(k in r.onset, `onset.${k}`);
  assert.deepEqual(Object.keys(r.visitors.phases as object), ['warmup', 'firstFiveS', 'rest']);
  assert.deepEqual(Object.keys(r.visitors.byGroup as object), ['onset', 'shared']);
  for (const k of ['solves', 'waitP50Ms', 'totalP50Ms', 'maxQueued']) assert.ok(k in (r.visitors.solver as object), `visitors.solver.${k}`);
  for (const k of ['cpuS', 'peakRssMb']) assert.ok(k in r.bulwark, `bulwark.${k}`);
  for (const k of ['durationS', 'rate', 'sources', 'maxRequests', 'capacity']) assert.ok(k in r.bounds, `bounds.${k}`);
  for (const k of ['attackS', 'warmupS', 'totalS']) assert.ok(k in r.durations, `durations.${k}`);
});

test('the table names every section and the verdict', () => {
  const text = formatReport(sampleReport());
  for (const s of ['drill get-flood-few', 'ATTACK', 'REAL VISITORS', 'VISITORS BY PHASE', 'ONSET  50.0% of 4 visits', 'ORIGIN', 'TIME TO MITIGATE  2 s', 'BULWARK', 'REPELLED? yes', '✓ real visitors served']) assert.ok(text.includes(s), s);
  assert.match(text, /^ {2}first 5 s +5 +3 +60\.0%/m);
  assert.match(text, /origin pages all private, no-store/);
  assert.match(text, /120 \(24\.0%\)/);
  assert.match(text, /normal at the start → under_attack at 2\.0 s/);
  assert.match(text, /^ {2}browser +2 +10 +10 +100\.0%/m);
  assert.match(text, /^SOLVES 12 proofs of work .* 2 worker thread\(s\): whole time p50 3400 ms, p90 5600 ms, of which waiting for a core p50 3100 ms, p90 5200 ms \(up to 9 queued\)/m);
});
