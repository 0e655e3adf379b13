/**
 * A restart that does not forget an attack, over a real SQLite state directory with a fake clock: the
 * service is killed (abandoned without stop(), as SIGKILL leaves it) one second after the level rose —
 * long before the periodic save — and the new service publishes `under_attack` at start, before any
 * tick or request, with the same incident and signature rules; it steps down only after its usual calm
 * period counted from the restart. And what an incident leaves in the baseline: nothing.
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

/** Runs the flood until the level is under_attack (at most 5 s); returns the ticks it took. */
async function floodUntilRaised(h: Harness): Promise<number> {
  for (let i = 1; i <= 5; i++) {
    await h.run(1, attacked(h));
    if (h.service.levelOf(SITE) === 'under_attack') return i;
  }
  throw new Error('under_attack never reached');
}

describe('a restart during an attack', () => {
  const harnesses: Harness[] = [];
  after(async () => {
    for (const h of harnesses) await h.dispose();
  });

  it('SIGKILL one second after the rise: the new service starts at under_attack, with the same incident and rules, and steps down only after its calm period', async () => {
    const h = await createHarness({ detection: { persist_every: '1h' } });
    harnesses.push(h);
    await h.run(90, quiet(h));
    await h.restart(1); // a clean stop saves the learned baseline: from here on only changes are saved
    await h.run(5, quiet(h));
    assert.equal(h.service.levelOf(SITE), 'normal');
    await floodUntilRaised(h);
    await h.run(1, attacked(h));
    const before = h.service.stats().sites[SITE]!;
    assert.equal(before.level, 'under_attack');
    assert.ok(before.incident?.id, 'the incident is open');
    const rules = before.active_rules.map((r) => r.id).sort();
    assert.ok(rules.length > 0, 'signature rules applied before the crash');

    const saves = h.service.stats().state_saves;
    const published = h.levels.get(SITE)!.length;
    await h.crash(2);
    assert.deepEqual(h.levels.get(SITE)!.slice(published), ['under_attack'], 'published at start, before any tick');
    assert.ok(saves >= 1, 'the rise was saved at once (persist_every is an hour here)');
    const after1 = h.service.stats().sites[SITE]!;
    assert.equal(after1.level, 'under_attack');
    assert.equal(after1.incident?.id, before.incident!.id, 'the same incident continues');
    assert.deepEqual(after1.active_rules.map((r) => r.id).sort(), rules, 'the signature rules are back');

    await h.run(10, attacked(h));
    assert.ok(h.levels.get(SITE)!.slice(published).every((l) => l === 'under_attack'), 'never below under_attack while the flood lasts');

    // The flood stops: no step down before the usual calm (10 s) and dwell, counted after the restart.
    const calmFrom = h.second;
    let steppedAt = -1;
    for (let i = 0; i < 60 && steppedAt < 0; i++) {
      await h.run(1, quiet(h));
      if (h.service.levelOf(SITE) !== 'under_attack') steppedAt = h.second;
    }
    assert.ok(steppedAt - calmFrom >= 10, `stepped down ${steppedAt - calmFrom} s after the flood stopped`);
    const inc = (await h.stores.incidents.list())[0]!;
    assert.equal((await h.stores.incidents.list()).length, 1, 'one incident, not two');
    assert.equal(inc.id, before.incident!.id);
  });

  it('learns nothing from an incident: not the seconds before the rise, not the attack, not the calm period', async () => {
    const h = await createHarness();
    harnesses.push(h);
    await h.run(90, quiet(h));
    const normalBefore = h.service.stats().sites[SITE]!.baseline.uncleared_rps;
    // Five seconds of a rising flood below any threshold, then the real one.
    await h.run(5, (s) => [...visitors(SITE, 50, s, 'normal'), ...flood(SITE, 20, s, 'normal')]);
    await floodUntilRaised(h);
    const atRise = h.service.stats().sites[SITE]!.baseline;
    assert.equal(atRise.learning.pending, 0, 'the queue was thrown away at the rise');
    assert.ok(atRise.learning.discarded >= 30, `${atRise.learning.discarded} seconds discarded`);
    await h.run(20, attacked(h));
    for (let i = 0; i < 200 && (await h.stores.incidents.openIncidents()).length > 0; i++) await h.run(1, quiet(h));
    assert.equal((await h.stores.incidents.openIncidents()).length, 0, 'the incident closed');
    const closed = h.service.stats().sites[SITE]!.baseline;
    assert.equal(closed.samples, atRise.samples, 'nothing learned from the rise to the close');
    await h.run(40, quiet(h));
    const later = h.service.stats().sites[SITE]!.baseline;
    assert.ok(later.samples > closed.samples + 5, 'learning resumes after the incident, with the delay');
    assert.ok(Math.abs(later.uncleared_rps - normalBefore) < 0.2 * normalBefore, `normal ${normalBefore.toFixed(1)} → ${later.uncleared_rps.toFixed(1)} req/s`);

    // What /detection shows of the baseline, and what the incident says its normal was.
    assert.deepEqual({ delay: later.learning.delay_s, cap: later.growth_cap.per_hour, basis: later.normal.basis }, { delay: 30, cap: 2, basis: 'recent' });
    assert.equal(later.seasonal.hour_of_day, undefined, 'the per-hour table is only in GET /detection');
    const full = h.service.stats({ seasonal: true }).sites[SITE]!.baseline.seasonal;
    assert.equal(full.hour_of_day?.length, 24);
    assert.equal(full.hour_of_week?.length, 168);
    assert.equal(full.now, null, 'no hour has earlier days yet');
    assert.ok(full.hour_of_day!.some((slot) => slot.current_samples > 0));
    const inc = (await h.stores.incidents.list())[0]!;
    const normal = (inc.summary as { baseline: Record<string, unknown> }).baseline;
    assert.deepEqual({ basis: normal.basis, slot: normal.slot, growth: normal.growth_per_hour, delay: normal.learn_delay_s }, { basis: 'recent', slot: null, growth: 2, delay: 30 });
  });
});
