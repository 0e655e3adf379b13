/**
 * A short subset of the drill against the real Bulwark binary (a child process, the production bundle
 * when built), with the thresholds the drill requires to hold on every change: real visitors served
 * ≥ 99%, the origin never above its capacity, no crash (alive at the end, exit 0 on SIGTERM) and peak
 * memory under a cap. Scenarios Bulwark handles today, at modest loads (a 2-core machine shared with
 * others): a small few-source GET flood, cache busting, the malformed corpus and slowloris. About 30 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDrill, type DrillOptions } from '../../src/drill/run.ts';
import { startOriginFixture } from '../../src/drill/origin-fixture.ts';
import { demoConfigInput } from '../../src/demo/demo-config.ts';
import type { DrillReport } from '../../src/drill/report.ts';

/** Peak resident memory Bulwark may reach in these drills. */
const RSS_CAP_MB = 512;

/** The demo config (the drill's default) with shorter connection timeouts, so slowloris is freed in-run. */
const QUICK_TIMEOUTS = { ...demoConfigInput({ originUrl: 'http://127.0.0.1:9' }), connections: { header_timeout: '2s' } };

async function drill(options: Omit<DrillOptions, 'seed'>): Promise<DrillReport> {
  return runDrill({ seed: 7, warmupS: 1, capacity: 64, ...options });
}

function assertThresholds(r: DrillReport): void {
  const why = JSON.stringify({ attack: r.attack, visitors: r.visitors, origin: r.origin, bulwark: r.bulwark, criteria: r.repelled.criteria }, null, 1);
  assert.ok(r.visitors.sent > 0, `visitors sent requests\n${why}`);
  assert.ok(r.visitors.servedRatio >= 0.99, `real visitors served ≥ 99%\n${why}`);
  // The onset: browsers arrived in the attack's first seconds, and visitors then were served in time.
  assert.ok(r.visitors.byGroup.onset.sent > 0 && r.visitors.byGroup.shared.sent > 0, `onset and shared-address browsers visited\n${why}`);
  assert.ok(r.onset.requests > 0 && (r.onset.ratio ?? 0) >= 0.95, `onset: ${JSON.stringify(r.onset)}\n${why}`);
  assert.ok(r.origin.peakConcurrency !== null && r.origin.capacity !== null && r.origin.peakConcurrency <= r.origin.capacity, `origin within capacity\n${why}`);
  assert.equal(r.origin.overCapacity, 0, 'no request refused by the origin for being over capacity');
  assert.equal(r.bulwark?.aliveAtEnd, true, `Bulwark alive at the end\n${why}`);
  assert.equal(r.bulwark?.exitCode, 0, 'Bulwark exits 0 on SIGTERM');
  assert.equal(r.bulwark?.gracefulExit, true, 'graceful exit');
  assert.ok(r.bulwark?.peakRssMb !== null && r.bulwark!.peakRssMb! < RSS_CAP_MB, `peak RSS ${r.bulwark?.peakRssMb} MB < ${RSS_CAP_MB} MB`);
  assert.ok(r.attack.sent > 0, 'the attack sent something');
  assert.ok(r.durations.attackS <= r.bounds.durationS + 3, 'the attack stopped by itself within its duration');
}

test('get-flood-few (small): visitors served, origin within capacity, no crash — default demo config', async () => {
  const r = await drill({ scenario: 'get-flood-few', durationS: 4, rate: 300, sources: 10 });
  assertThresholds(r);
  assert.equal(r.protection, 'bulwark');
  assert.equal(r.origin.source, 'fixture');
  assert.ok(r.attack.reachedOrigin !== null && r.attack.reachedOrigin <= r.attack.sent);
  assert.ok(r.attack.sent <= r.bounds.maxRequests);
  assert.ok((r.origin.byClass?.visitor ?? 0) > 0 && (r.origin.byClass?.attack ?? 0) > 0, 'the origin told attack and visitors apart');
  assert.ok(r.bulwark!.cpuS! > 0);
  assert.notEqual(r.bulwark?.outcomes, null, 'Bulwark outcomes read from /stats');
});

test('cache-busting: visitors served, origin within capacity, no crash', async () => {
  assertThresholds(await drill({ scenario: 'cache-busting', durationS: 4, rate: 300, sources: 20, config: QUICK_TIMEOUTS }));
});

test('malformed: every case refused as expected (a banned source refused at accept included), never two answers, no crash', async () => {
  const r = await drill({ scenario: 'malformed', durationS: 4, rate: 40, config: QUICK_TIMEOUTS });
  assertThresholds(r);
  const d = r.details as { smuggled: number; unexpected: number; refusedBanned: number; bannedSources: number; casesJudged: number; corpusSize: number; unexpectedCases: Array<{ name: string }> };
  assert.equal(d.unexpected, 0, `unexpected: ${JSON.stringify(d.unexpectedCases)}`);
  assert.equal(d.casesJudged, d.corpusSize, 'every corpus case sent and answered at least once before its source was banned');
  // The sources keep sending refused requests: escalation bans them, and what they send afterwards is refused at accept.
  assert.ok(d.refusedBanned > 0 && d.bannedSources > 0, JSON.stringify(d));
  assert.equal(r.repelled.criteria.find((c) => c.check === 'every case answered as expected')?.ok, true);
  assert.equal(d.smuggled, 0, 'never two answers on one connection');
  assert.equal(r.timeToMitigateS, null);
});

test('slowloris: the header timeout frees the sockets while visitors are served', async () => {
  const r = await drill({ scenario: 'slowloris', durationS: 5, rate: 60, sources: 20, config: QUICK_TIMEOUTS });
  assertThresholds(r);
  const d = r.details as { closedByServer: number; connectionsOpened: number };
  assert.ok(d.connectionsOpened > 100, 'connections held');
  assert.ok(d.closedByServer > 0, 'the server closed held connections');
  assert.ok(r.repelled.criteria.find((c) => c.check === 'held connections freed by the server')?.ok);
});

test('--target mode against a running server: no fixture, origin figures unknown without --admin', async () => {
  const fixture = await startOriginFixture();
  try {
    const r = await runDrill({ scenario: 'get-flood-few', target: fixture.url, durationS: 1, rate: 50, sources: 2, warmupS: 0.2, visitors: { browsers: 1, nojs: 1, api: 1 } });
    assert.equal(r.mode, 'target');
    assert.equal(r.protection, 'target');
    assert.equal(r.origin.source, 'none');
    assert.equal(r.attack.reachedOrigin, null);
    assert.equal(r.bulwark, null);
    assert.equal(r.repelled.verdict, null, 'not judged without origin figures');
    assert.ok(r.attack.sent > 0 && r.attack.sent <= 60);
    assert.equal(fixture.stats().distinctSources >= 3, true);
  } finally {
    await fixture.stop();
  }
});
