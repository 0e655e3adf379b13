/**
 * `slow-post` — docs/threats.md "slow POST" (R.U.D.Y.): a complete head announcing a 10 MB body to `/upload`,
 * then 4 bytes of body per second. Repelled: the minimum body rate (or the request timeout) closes the
 * sockets; the origin is not held waiting for bodies; real visitors still connect.
 */
import { runSlowPost } from '../attackers/slow-post.ts';
import { commonCriteria } from './criteria.ts';
import { slowBase, slowOutcome, socketsFreed } from './slow-common.ts';
import type { Scenario } from './context.ts';

/** The `slow-post` scenario: defaults, what repelled means, the attack (see the module comment). */
export const slowPost: Scenario = {
  name: 'slow-post',
  summary: 'POSTs announcing 10 MB bodies sent 4 bytes per second (rate = connections/s, 5 s worth held)',
  repelledMeans: 'minimum body rate / request timeout close the sockets; origin not held waiting; visitors still connect',
  kind: 'connections',
  defaults: { durationS: 15, rate: 100, sources: 50, maxSockets: 1000 },
  async run(ctx) {
    return slowOutcome(await runSlowPost({ ...slowBase(ctx, '/upload'), contentLength: 10_000_000, bytesPerTick: 4 }));
  },
  judge: (f) => [...commonCriteria(f), socketsFreed(f, 'connections.min_body_rate applies after body_rate_grace, 5 s by default')],
};
