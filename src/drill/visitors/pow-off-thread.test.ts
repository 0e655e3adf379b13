import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPowSolution, workOfBits } from '../../core/challenge/pow.ts';
import { closePowWorkers, powPoolStats, powSolveFigures, solvePowOffThread } from './pow-off-thread.ts';

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

test('times every solve: more solves than workers wait for one, and the figures say so', async () => {
  const since = Date.now();
  const keepAlive = setInterval(() => {}, 50); // the pool's workers are unref'd: hold the loop open
  try {
    const work = workOfBits(14);
    const seeds = Array.from({ length: 12 }, (_, i) => `seed-${i}-AbCdEfGhIjKl`);
    const solutions = await Promise.all(seeds.map((s) => solvePowOffThread(s, work, 1 << 24)));
    seeds.forEach((s, i) => assert.equal(checkPowSolution(s, solutions[i]!, work), 'ok', s));
    const f = powSolveFigures(since);
    assert.equal(f.solves, 12, 'each solve timed once');
    assert.ok(f.workers >= 1 && f.workers <= 4);
    assert.ok(f.maxQueued >= 12 - f.workers - 1, `the solves beyond the workers queued (max ${f.maxQueued})`);
    assert.ok(f.waitP90Ms! <= f.totalP90Ms! && f.totalP50Ms! <= f.totalMaxMs!, 'waiting is part of the whole time');
    assert.equal(powSolveFigures(Date.now() + 60_000).solves, 0, 'solves before `since` are not counted');
    assert.equal(powSolveFigures(Date.now() + 60_000).totalP50Ms, null);
  } finally {
    clearInterval(keepAlive);
    await closePowWorkers();
  }
});
