/**
 * The detection service over a real SQLite state directory, driven by a fake clock: a learned quiet
 * baseline, then a flood from 2,000 distinct 127.x.y.z addresses — the level rises, an incident opens
 * with the flood's prefixes on top, everything steps down and the incident closes after calm; a restart
 * in the middle keeps the incident and the baseline.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, flood, visitors, type Harness } from './harness.ts';

const SITE = 'news';

function quiet(h: Harness) {
  return (s: number) => visitors(SITE, 50, s, h.service.levelOf(SITE));
}

function attacked(h: Harness, rps = 3000) {
  return (s: number) => [...visitors(SITE, 50, s, h.service.levelOf(SITE)), ...flood(SITE, rps, s, h.service.levelOf(SITE))];
}

function obj(v: unknown): Record<string, unknown> {
  return v as Record<string, unknown>;
}

describe('detection service: a many-source flood', () => {
  const harnesses: Harness[] = [];
  after(async () => {
    for (const h of harnesses) await h.dispose();
  });

  it('learns, detects within seconds, records the incident with the right prefixes, and closes after calm', async () => {
    const h = await createHarness();
    harnesses.push(h);
    await h.run(90, quiet(h));
    const before = h.service.stats().sites[SITE]!;
    assert.equal(before.level, 'normal');
    assert.ok(before.baseline.warm, 'baseline warm after 90 s');
    assert.equal((await h.stores.incidents.list()).length, 0, 'no false alarm on quiet traffic');

    const floodStart = h.second;
    await h.run(5, attacked(h));
    const raisedAt = h.levels.get(SITE)!.findIndex((l) => l === 'under_attack');
    assert.ok(raisedAt >= 0, 'under_attack reached');
    assert.ok(raisedAt - floodStart <= 3, `under_attack within 3 ticks of the flood (took ${raisedAt - floodStart})`);
    const open = await h.stores.incidents.openIncidents();
    assert.equal(open.length, 1);
    assert.equal(open[0]!.site, SITE);
    const stats = h.service.stats().sites[SITE]!;
    assert.equal(stats.incident?.id, open[0]!.id);
    assert.ok(stats.active_rules.some((r) => r.mode === 'apply' && String(r.match.prefix ?? '').startsWith('127.1.')), 'prefix rules applied');
    assert.ok(stats.signals.length > 0 && stats.reasons.length > 0);

    await h.run(20, attacked(h));
    // The flood stops: the detector steps down, then the incident waits for its calm period.
    let normalAt = -1;
    for (let i = 0; i < 120 && normalAt < 0; i++) {
      await h.run(1, quiet(h));
      if (h.service.levelOf(SITE) === 'normal') normalAt = h.second;
    }
    assert.ok(normalAt > 0, 'back to normal after the flood');
    assert.equal(h.service.stats().sites[SITE]!.active_rules.length, 0, 'signature rules retired');
    await h.run(15, quiet(h));
    assert.equal((await h.stores.incidents.openIncidents()).length, 1, 'still open before the calm period (20 s) has passed');
    await h.run(10, quiet(h));
    assert.equal((await h.stores.incidents.openIncidents()).length, 0, 'closed after calm');

    const inc = (await h.stores.incidents.get(open[0]!.id))!;
    assert.equal(inc.status, 'closed');
    assert.equal(inc.closeReason, 'calm');
    assert.equal(inc.peakLevel, 'under_attack');
    assert.ok(inc.peakRps >= 3000, `peak ${inc.peakRps}`);
    assert.ok(inc.totalRequests > 25 * 3000, `total ${inc.totalRequests}`);
    assert.ok(inc.distinctSources >= 1900 && inc.distinctSources < 2600, `distinct sources ${inc.distinctSources}`);
    assert.ok(inc.severity === 'medium' || inc.severity === 'high', inc.severity);
    assert.equal(inc.linkedTo, null, 'nothing to link the first incident to');
    const summary = obj(inc.summary);
    const prefixes = (obj(summary.top).prefix as Array<{ key: string; share: number }>).slice(0, 8).map((e) => e.key).sort();
    assert.deepEqual(prefixes, Array.from({ length: 8 }, (_, i) => `127.1.${i}.0/24`).sort(), 'the flood prefixes are the top prefixes');
    assert.equal((obj(summary.top).fingerprint as Array<{ key: string }>)[0]!.key, 'fp-bot-1');
    assert.equal((obj(summary.top).path as Array<{ key: string }>)[0]!.key, '/search', 'paths are stored without their query');
    const actions = obj(inc.actions);
    const changes = actions.level_changes as Array<{ from: string; to: string }>;
    assert.deepEqual(changes[0], { ...changes[0], from: 'normal', to: 'under_attack' });
    assert.equal(changes.at(-1)!.to, 'normal');
    const rules = actions.rules as Array<{ id: string; mode: string; retired_ms: number | null; evidence: unknown[] }>;
    assert.ok(rules.length > 0 && rules.every((r) => r.retired_ms !== null && r.evidence.length > 0), 'every rule retired, with evidence');
    assert.ok((actions.mitigated_requests as number) > 20 * 3000, 'flood requests counted as mitigated');
    assert.ok((obj(actions.by_decision)['level/under_attack'] as number) > 0);
    const v = obj(inc.visitors);
    assert.equal(v.cleared_success_rate, 1);
    assert.ok(typeof v.cleared_origin_latency_p50_ms === 'number');
    const timeline = inc.timeline;
    assert.ok(timeline.length >= 50, `timeline ${timeline.length} s`);
    assert.ok(timeline.some((s) => s.level === 'under_attack' && s.requests >= 3000));
    assert.equal(typeof obj(timeline[0]!.extra).cleared_served_ratio, 'number');
  });

  it('keeps the incident and the baseline across a restart in the middle of the flood', async () => {
    const h = await createHarness();
    harnesses.push(h);
    await h.run(90, quiet(h));
    await h.run(10, attacked(h));
    const open = await h.stores.incidents.openIncidents();
    assert.equal(open.length, 1);
    const samples = h.service.stats().sites[SITE]!.baseline.samples;
    const rowsBefore = (await h.stores.incidents.get(open[0]!.id))!.timelineSeconds;

    await h.restart(3);
    assert.equal(h.levels.get(SITE)!.at(-1), 'under_attack', 'the restored level is published at start, before any tick');
    const after1 = h.service.stats().sites[SITE]!;
    assert.equal(after1.baseline.samples, samples, 'the baseline survived');
    assert.ok(after1.baseline.warm);
    assert.equal(after1.incident?.id, open[0]!.id, 'the same incident continues');

    await h.run(10, attacked(h));
    assert.ok(h.levels.get(SITE)!.slice(-10).every((l) => l === 'under_attack'), 'no drop to normal after the restart');
    for (let i = 0; i < 200 && (await h.stores.incidents.openIncidents()).length > 0; i++) await h.run(1, quiet(h));
    const all = await h.stores.incidents.list();
    assert.equal(all.length, 1, 'one incident, not two');
    const inc = (await h.stores.incidents.get(open[0]!.id))!;
    assert.equal(inc.status, 'closed');
    assert.ok(inc.timelineSeconds > rowsBefore + 10, 'the timeline went on after the restart');
    // 3 s down, plus the second being recorded at the stop and the partial second of the start
    assert.equal(obj(inc.summary).gap_seconds, 5, 'the unobserved seconds are recorded');
    assert.ok((obj(inc.actions).mitigated_requests as number) > 15 * 3000, 'counters carried over the restart');
    const prefixes = (obj(obj(inc.summary).top).prefix as Array<{ key: string }>).slice(0, 8).map((e) => e.key);
    assert.ok(prefixes.every((p) => p.startsWith('127.1.')), prefixes.join(', '));
  });

  it('closes an incident left open too long ago as interrupted, and starts the site at normal', async () => {
    const h = await createHarness();
    harnesses.push(h);
    await h.run(90, quiet(h));
    await h.run(8, attacked(h));
    const open = await h.stores.incidents.openIncidents();
    await h.restart(600);
    const inc = (await h.stores.incidents.get(open[0]!.id))!;
    assert.equal(inc.status, 'closed');
    assert.equal(inc.closeReason, 'interrupted');
    assert.equal(h.service.levelOf(SITE), 'normal', 'a detector state older than the resume gap is not restored');
    assert.ok(h.service.stats().sites[SITE]!.baseline.warm, 'the baseline is restored whatever its age');
  });
});
