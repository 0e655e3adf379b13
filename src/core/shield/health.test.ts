import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHealthState } from './health.ts';

describe('health state (rise/fall)', () => {
  it('goes down after `fall` failures and up after `rise` successes', () => {
    const h = createHealthState({ rise: 2, fall: 3 });
    const seq: Array<[boolean, string | undefined]> = [
      [false, undefined], [false, undefined], [true, undefined], [false, undefined], [false, undefined], [false, 'down'],
      [true, undefined], [false, undefined], [true, undefined], [true, 'up'],
    ];
    seq.forEach(([ok, want], i) => assert.equal(h.report(ok, i), want, `check ${i}`));
    assert.deepEqual([h.stats().changes, h.stats().changedAtMs, h.isUp()], [2, 9, true]);
  });
  it('can start down and wait for `rise` checks', () => {
    const h = createHealthState({ initial: 'down', rise: 1 });
    assert.equal(h.isUp(), false);
    assert.equal(h.report(true, 0), 'up');
  });
});
