import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBounds, HARD_CEILINGS, startBoundedRun } from './bounds.ts';
import { runPaced } from './paced-runner.ts';

test('checkBounds: defaults, ceilings, every problem named at once', () => {
  assert.deepEqual(checkBounds({ maxRequests: 1, maxDurationMs: 1 }), { maxRequests: 1, maxDurationMs: 1, maxSockets: 256 });
  assert.throws(
    () => checkBounds({ maxRequests: HARD_CEILINGS.maxRequests + 1, maxDurationMs: 0.5, maxSockets: -1 }),
    (err: Error & { code?: string }) =>
      err.code === 'BULWARK_ERR_DRILL_BOUNDS' && /maxRequests=/.test(err.message) && /maxDurationMs=/.test(err.message) && /maxSockets=/.test(err.message),
  );
  assert.throws(() => checkBounds({ maxRequests: Number.NaN, maxDurationMs: 10 }), { code: 'BULWARK_ERR_DRILL_BOUNDS' });
});

test('bounded run: the caller signal wins and is reported', async () => {
  const controller = new AbortController();
  const run = startBoundedRun(checkBounds({ maxRequests: 1, maxDurationMs: 10_000 }), controller.signal);
  controller.abort();
  assert.equal(run.signal.aborted, true);
  assert.equal(run.stoppedBy(), 'signal');
  run.dispose();
  const pre = new AbortController();
  pre.abort();
  const run2 = startBoundedRun(checkBounds({ maxRequests: 1, maxDurationMs: 10_000 }), pre.signal);
  assert.equal(run2.stoppedBy(), 'signal');
  run2.dispose();
});

test('runPaced: closed loop honours concurrency and the count', async () => {
  let inFlight = 0;
  let peak = 0;
  const result = await runPaced({
    bounds: checkBounds({ maxRequests: 100, maxDurationMs: 10_000, maxSockets: 7 }),
    concurrency: 50,
    send: async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
    },
  });
  assert.equal(result.launched, 100);
  assert.equal(result.stoppedBy, 'count');
  assert.equal(peak, 7, 'concurrency capped by maxSockets');
});

test('runPaced: a send that ignores the abort is abandoned after the grace period', async () => {
  const t0 = performance.now();
  const result = await runPaced({
    bounds: checkBounds({ maxRequests: 5, maxDurationMs: 100 }),
    concurrency: 5,
    send: () => new Promise<void>((r) => setTimeout(r, 5000).unref()),
  });
  const elapsed = performance.now() - t0;
  assert.equal(result.stoppedBy, 'duration');
  assert.ok(elapsed >= 1000 && elapsed < 2000, `${elapsed}`);
});
