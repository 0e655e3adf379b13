import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPowSolution, workOfBits } from '../../core/challenge/pow.ts';
import { closePowWorkers, powPoolStats, solvePowOffThread } from './pow-off-thread.ts';

test('solves off the event loop: right answers, and timers keep firing meanwhile', async () => {
  const work = workOfBits(16);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    const seeds = ['AbCdEfGhIjKlMnOp', 'QrStUvWxYz012345', 'zyxwvutsrqponmlk'];
    const solutions = await Promise.all(seeds.map((s) => solvePowOffThread(s, work, 1 << 24)));
    seeds.forEach((s, i) => assert.equal(checkPowSolution(s, solutions[i]!, work), 'ok', s));
    assert.ok(ticks > 0, 'the event loop ran while the workers hashed');
    assert.deepEqual([powPoolStats().offThread, powPoolStats().here], [3, 0], 'solved by the workers');
    assert.equal(await solvePowOffThread('AbCdEfGhIjKlMnOp', workOfBits(30), 10), null, 'none within the iterations');
  } finally {
    clearInterval(timer);
    await closePowWorkers();
  }
});
