/**
 * `post-flood` — docs/threats.md "expensive endpoints": POSTs with random form values to `/search` (150 ms at
 * the origin) and `/login` (100 ms), which no cache can answer; at the default rate the origin would need
 * more concurrency than it has. Repelled: per-endpoint limits; the origin's concurrency never goes above
 * its capacity; cleared visitors are queued first.
 */
import { runPostFlood } from '../attackers/post-flood.ts';
import { figuresOfFlood } from './figures.ts';
import { commonCriteria, mitigatedWithin } from './criteria.ts';
import { floodBase } from './site.ts';
import type { Scenario } from './context.ts';

/** The `post-flood` scenario: defaults, what repelled means, the attack (see the module comment). */
export const postFlood: Scenario = {
  name: 'post-flood',
  summary: 'POST flood on expensive endpoints (/search, /login) with random form bodies',
  repelledMeans: 'per-endpoint limits; origin concurrency never above capacity; cleared visitors queued first',
  kind: 'requests',
  defaults: { durationS: 20, rate: 600, sources: 20 },
  async run(ctx) {
    const r = await runPostFlood({ ...floodBase(ctx), paths: ['/search', '/login'] });
    return { attack: figuresOfFlood(r), sentPerSecond: r.sentPerSecond, stoppedBy: r.stoppedBy, details: { latency: r.latency } };
  },
  judge: (f) => [...commonCriteria(f), mitigatedWithin(f, 10)],
};
