import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { delayToNextSecond, startSecondTimer } from './second-timer.ts';

const T0 = 1_700_000_000_000;

describe('second timer', () => {
  const cases: Array<[number, number]> = [
    [0, 5],
    [3, 2],
    [5, 1000],
    [6, 999],
    [500, 505],
    [999, 6],
  ];
  for (const [into, delay] of cases) {
    it(`waits ${delay} ms from ${into} ms into a second`, () => {
      assert.equal(delayToNextSecond(T0 + into), delay);
    });
  }

  it('fires just after each boundary and skips a run while the previous one is still going', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 + 300 });
    try {
      const fired: number[] = [];
      let release: (() => void) | null = null;
      const timer = startSecondTimer(() => {
        fired.push(Date.now() - T0);
        if (fired.length === 2) return new Promise<void>((r) => (release = r));
        return undefined;
      });
      mock.timers.tick(704);
      assert.deepEqual(fired, [], 'not before the boundary + offset');
      mock.timers.tick(1);
      assert.deepEqual(fired, [1005]);
      mock.timers.tick(1000);
      assert.deepEqual(fired, [1005, 2005]);
      mock.timers.tick(1000);
      assert.deepEqual(fired, [1005, 2005], 'the slow run makes the next one skip');
      assert.equal(timer.skipped, 1);
      timer.stop();
      mock.timers.tick(5000);
      assert.equal(fired.length, 2, 'stopped');
      assert.equal(timer.runs, 2);
      (release as (() => void) | null)?.();
      await new Promise((r) => setImmediate(r));
    } finally {
      mock.timers.reset();
    }
  });
});
