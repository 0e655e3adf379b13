/**
 * `slowloris` — docs/threats.md "slowloris": connections that send a request head a byte per second and never
 * finish it. Repelled: the header timeout and per-address connection caps free the sockets; real visitors
 * still connect.
 */
import { runSlowloris } from '../attackers/slowloris.ts';
import { commonCriteria } from './criteria.ts';
import { slowBase, slowOutcome, socketsFreed } from './slow-common.ts';
import type { Scenario } from './context.ts';

/** The `slowloris` scenario: defaults, what repelled means, the attack (see the module comment). */
export const slowloris: Scenario = {
  name: 'slowloris',
  summary: 'connections sending a never-ending request head a byte per second (rate = connections/s, 5 s worth held)',
  repelledMeans: 'header timeout and per-IP connection caps free the sockets; real visitors still connect',
  kind: 'connections',
  defaults: { durationS: 15, rate: 200, sources: 50, maxSockets: 2000 },
  async run(ctx) {
    return slowOutcome(await runSlowloris({ ...slowBase(ctx), bytesPerTick: 1 }));
  },
  judge: (f) => [...commonCriteria(f), socketsFreed(f, 'connections.header_timeout defaults to 10 s: run longer than that')],
};
