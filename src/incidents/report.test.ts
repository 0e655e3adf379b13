import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncidentWithTimeline } from '../stores/index.ts';
import { incidentJson, incidentListJson, renderIncidentList, renderIncidentText } from './report.ts';
import { condenseTimeline, formatSeconds } from './report-text.ts';

const T = Date.UTC(2025, 2, 1, 12, 0, 0);

const incident: IncidentWithTimeline = {
  id: 'inc-20250301-0001', site: 'news', openedAtMs: T, closedAtMs: T + 125_000, status: 'closed', closeReason: 'calm', peakLevel: 'under_attack',
  severity: 'high', peakRps: 6012, totalRequests: 480_000, distinctSources: 2011,
  summary: {
    version: 1, trigger: 'detector', uncleared_requests: 470_000,
    top: { prefix: [{ key: '127.1.0.0/24', share: 0.12, count: 56_400 }], address: [{ key: '127.1.0.7', share: 0.001, count: 470 }], user_agent: [{ key: 'bot kit', share: 0.96, count: 451_200 }] },
    rate: { peak_rps: 6000, mean_rps: 3800, duration_s: 125, ramp_s: 2 }, peak_distinct_per_second: 2000,
    baseline: { rps: 50, uncleared_rps: 35, distinct_per_second: 40, warm: true }, ended_at_ms: T + 65_000, abnormal_seconds: 65,
    severity_score: 5, severity_reasons: ['peak level under_attack (+2)', 'peak 6012 req/s, 120.2× the normal rate (+3)'], signals: [], gap_seconds: 0,
  },
  actions: {
    level_changes: [{ at_ms: T, from: 'normal', to: 'under_attack', by: 'detector', reason: 'raised normal → under_attack: rate surge' }],
    level_changes_dropped: 0,
    rules: [{ id: 'sig/prefix=127.1.0.0/24', action: 'block', mode: 'apply', match: { prefix: '127.1.0.0/24' }, rate_limit_rps: null, collateral: 0, collateral_bound: 0.001, attack_share: 0.12, level: 'under_attack', first_seen_ms: T + 1000, last_seen_ms: T + 60_000, applied_ms: T + 1000, expires_ms: T + 360_000, retired_ms: T + 70_000, retired_reason: 'attack over', reason: 'block prefix …', evidence: [], requests: 50_000 }],
    rules_dropped: 0, outcomes: { forwarded: 10_000, challenged: 420_000, blocked: 50_000 }, mitigated_requests: 470_000, by_decision: { 'level/under_attack': 420_000, 'sig/prefix=127.1.0.0/24': 50_000 },
  },
  visitors: { cleared_requests: 3000, cleared_served: 2997, cleared_success_rate: 0.999, cleared_origin_latency_p50_ms: 45.2, cleared_origin_latency_p99_ms: 181, cleared_latency_histogram: [[22, 3000]], challenges_issued: 400_000, challenges_solved: 120, challenges_failed: 5, challenge_solve_rate: 0.0003, origin_responses: 10_000, origin_errors: 3 },
  linkedTo: 'inc-20250228-0003', linkVerdict: 'same_actor', linkEvidence: { reason: 'same_actor: network similarity 0.92' },
  lastSecondMs: T + 124_000, timelineSeconds: 125, timelineDropped: 0, addressesTruncated: false, sourceDataPurgedAtMs: null, updatedAtMs: T + 125_000,
  timeline: Array.from({ length: 125 }, (_, i) => ({ t: T + i * 1000, requests: i < 65 ? 6000 : 50, distinct: i < 65 ? 2000 : 40, level: i < 65 ? 'under_attack' as const : 'normal' as const, outcomes: i < 65 ? { challenged: 5900, forwarded: 100 } : { forwarded: 50 } })),
};

describe('incident report', () => {
  it('renders a readable text report', () => {
    const text = renderIncidentText(incident);
    for (const part of ['Incident inc-20250301-0001 on news: closed (calm)', 'duration 2m 05s, 1m 05s above normal', 'severity   high (score 5)', 'same_actor → inc-20250228-0003',
      'Top sources', '127.1.0.0/24', 'user_agent', 'normal → under_attack (detector)', 'sig/prefix=127.1.0.0/24', 'mitigated: 470,000 of 480,000', '99.9% served', 'p50 45 ms', 'Timeline (125 s)']) {
      assert.ok(text.includes(part), `missing ${part}\n${text}`);
    }
    assert.ok(text.split('\n').length < 120);
  });

  it('condenses long timelines', () => {
    const rows = condenseTimeline(incident.timeline, 10);
    assert.equal(rows.length, 10);
    assert.deepEqual(rows[0]!.slice(1, 5), ['13s', 'under_attack', '6,000', '6,000']);
    assert.equal(rows[0]![6], '98.33%');
  });

  it('gives stable snake_case JSON', () => {
    const json = incidentJson(incident);
    assert.equal(json.opened_at, '2025-03-01T12:00:00.000Z');
    assert.equal(json.duration_s, 125);
    assert.equal(json.timeline?.length, 125);
    const keys = Object.keys(json);
    assert.ok(keys.every((k) => /^[a-z0-9_]+$/.test(k)), keys.join(','));
    assert.deepEqual(incidentListJson([incident]).incidents[0], { ...Object.fromEntries(Object.entries(json).filter(([k]) => !['summary', 'actions', 'visitors', 'link_evidence', 'fingerprint', 'last_second_ms', 'timeline_seconds', 'timeline_dropped', 'addresses_truncated', 'source_data_purged_at_ms', 'updated_at_ms', 'timeline'].includes(k))) });
  });

  it('lists incidents as a table', () => {
    const text = renderIncidentList([incident, { ...incident, id: 'inc-20250301-0002', status: 'open', closedAtMs: null, closeReason: null, linkedTo: null, linkVerdict: null }]);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^ID\s+SITE\s+STATUS/);
    assert.match(lines[1]!, /closed\/calm.*2m 05s.*under_attack.*high.*6,012.*480,000.*2,011.*same_actor inc-20250228-0003/);
    assert.match(lines[2]!, /open/);
    assert.equal(renderIncidentList([]), 'no incidents\n');
  });

  it('prints what it can of a record written by another version', () => {
    const text = renderIncidentText({ ...incident, summary: 'garbage', actions: null, visitors: 42, timeline: [] });
    assert.ok(text.includes('Top sources: none recorded'));
    assert.ok(text.includes('cleared visitors: 0 requests'));
  });

  const durations: Array<[number, string]> = [[0, '0s'], [59, '59s'], [60, '1m 00s'], [3725, '1h 02m 05s']];
  for (const [s, out] of durations) it(`formats ${s} s`, () => assert.equal(formatSeconds(s), out));
});
