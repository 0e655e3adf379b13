import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { restartCriterion, restartFigures } from './restart-figures.ts';
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
