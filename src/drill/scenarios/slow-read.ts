/**
 * `slow-read` — docs/threats.md "slow read": request a 64 MiB download, then read the answer 16 bytes per
 * second, so the server's send buffers stay full. Repelled: the send timeout aborts the responses the
 * client does not read, memory stays flat, real visitors still connect.
 */
import { runSlowRead } from '../attackers/slow-read.ts';
import { commonCriteria } from './criteria.ts';
import { slowBase, slowOutcome, socketsFreed } from './slow-common.ts';
import type { Scenario } from './context.ts';

/** The download each slow reader asks for (the fixture generates it on the fly). */
export const SLOW_READ_PATH = '/download?bytes=67108864';

/** The `slow-read` scenario: defaults, what repelled means, the attack (see the module comment). */
export const slowRead: Scenario = {
  name: 'slow-read',
  summary: 'downloads of 64 MiB read 16 bytes per second (rate = connections/s, 5 s worth held)',
  repelledMeans: 'send timeout aborts unread responses; memory stays flat; visitors still connect',
  kind: 'connections',
  defaults: { durationS: 40, rate: 40, sources: 20, maxSockets: 400 },
  async run(ctx) {
    return slowOutcome(await runSlowRead({ ...slowBase(ctx, SLOW_READ_PATH), bytesPerTick: 16 }));
  },
  judge: (f) => [...commonCriteria(f), socketsFreed(f, 'connections.send_timeout defaults to 30 s: run longer than that')],
};
