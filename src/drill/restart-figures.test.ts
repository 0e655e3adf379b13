import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DOWN_GRACE_MS, restartCriterion, restartFigures, visitorFailuresWhileDown } from './restart-figures.ts';
import { visitorsServed } from './scenarios/criteria.ts';
import type { JudgedFigures } from './scenarios/context.ts';
import type { VisitorSample } from './visitors/visitor-timeline.ts';
import type { AdminObservation } from './scenarios/admin-observer.ts';

const S = 1_800_000_000;
const at = (s: number, ms = 0): number => (S + s) * 1000 + ms;
const series = (from: number, to: number, count: (s: number) => number) => Array.from({ length: to - from }, (_, i) => ({ second: S + from + i, count: count(from + i) }));

function observation(levels: Array<[number, string]>): AdminObservation {
  return {
    available: true, outcomes: {}, levels: levels.map(([ms, level]) => ({ atMs: ms, level })), peakInFlight: null, perSecond: new Map(), challenge: null, rssMb: null,
    openConnections: [], droppedAtAccept: null,
  };
}

describe('restart figures', () => {
  const event = { killedAtMs: at(10, 100), readyAtMs: at(13, 400), pidBefore: 1, pidAfter: 2 };
  const sent = series(0, 20, () => 100);

  it('no protection lost: mitigated before the kill and after the restart, level kept', () => {
    const reached = series(0, 20, (s) => (s < 2 ? 80 : s >= 10 && s < 13 ? 0 : 3));
    const r = restartFigures(event, at(0), at(20), sent, reached, observation([[at(-30), 'normal'], [at(1, 500), 'under_attack']]));
    assert.deepEqual(
      { atS: r.atS, downS: r.downS, levelBefore: r.levelBefore, levelDropped: r.levelDropped, mitigatedBeforeKill: r.mitigatedBeforeKill, lost: r.protectionLostS, sentAfter: r.sentAfter, reachedAfter: r.reachedOriginAfter },
      { atS: 10.1, downS: 3.3, levelBefore: 'under_attack', levelDropped: false, mitigatedBeforeKill: true, lost: 0, sentAfter: 700, reachedAfter: 21 },
    );
    assert.equal(restartCriterion(r).ok, true);
  });

  it('a restart that forgot the level: seconds of the attack reaching the origin, and a lower level seen', () => {
    const reached = series(0, 20, (s) => (s >= 13 && s < 15 ? 70 : 2));
    const r = restartFigures(event, at(0), at(20), sent, reached, observation([[at(1), 'under_attack'], [at(13, 900), 'normal'], [at(15, 200), 'under_attack']]));
    assert.equal(r.protectionLostS, 2);
    assert.equal(r.levelDropped, true);
    assert.equal(restartCriterion(r).ok, false);
  });

  it('is not judged without origin figures, nor when the attack was not mitigated before the kill', () => {
    assert.equal(restartCriterion(restartFigures(event, at(0), at(20), sent, undefined, undefined)).ok, null);
    const reached = series(0, 20, () => 60);
    const r = restartFigures(event, at(0), at(20), sent, reached, undefined);
    assert.equal(r.mitigatedBeforeKill, false);
    assert.equal(restartCriterion(r).ok, null);
  });
});

describe('visitors while the drill had Bulwark down', () => {
  const event = { killedAtMs: at(10), readyAtMs: at(10, 500) };
  const sample = (startMs: number, latencyMs: number, served: boolean): VisitorSample => ({ kind: 'browser', group: 'regular', asset: false, startMs, latencyMs, served, outcome: served ? 'served' : 'dropped', retries: 0 });

  it('counts the failures that ended between the kill and shortly after ready, not the served nor the earlier or later ones', () => {
    const samples = [
      sample(at(9, 990), 20, false), // in flight at the kill, cut by it
      sample(at(10, 200), 1, false), // refused while down
      sample(at(10, 400), DOWN_GRACE_MS, false), // reported just after ready
      sample(at(10, 200), 1, true), // served (cannot be, but never counted)
      sample(at(9), 100, false), // failed before the kill
      sample(at(10, 500), DOWN_GRACE_MS + 1, false), // failed well after ready
    ];
    assert.equal(visitorFailuresWhileDown(samples, event), 3);
  });

  it('the visitors check judges the others and names these apart', () => {
    const f = { visitors: { sent: 1000, servedRatio: 0.984, p99Ms: 10, notServedBy: { dropped: 16 }, failedWhileDown: 14 } } as unknown as JudgedFigures;
    const c = visitorsServed(f);
    assert.equal(c.ok, true, c.detail);
    assert.match(c.detail, /^99\.8% of 986 \(14 more failed while the drill had Bulwark down, judged apart\)$/);
    const worse = visitorsServed({ visitors: { ...f.visitors, failedWhileDown: 2 } } as unknown as JudgedFigures);
    assert.equal(worse.ok, false, worse.detail);
    const plain = visitorsServed({ visitors: { sent: 100, servedRatio: 1, p99Ms: 1, notServedBy: {} } } as unknown as JudgedFigures);
    assert.deepEqual([plain.ok, plain.detail], [true, '100.0% of 100']);
  });
});
