/**
 * `h2-rapid-reset` — docs/threats.md "HTTP/2 floods", Rapid Reset (CVE-2023-44487): streams opened and reset
 * at once, so the server starts work the client never waits for. Repelled: each connection is ended with
 * GOAWAY ENHANCE_YOUR_CALM after the reset budget, the flooding sources are escalated to bans and dropped
 * at accept, the origin stays within capacity and visitors are served.
 */
import { commonCriteria } from './criteria.ts';
import { endedWithGoaway, h2Outcome, runScenarioFlood } from './h2-common.ts';
import type { Scenario } from './context.ts';

export const h2RapidReset: Scenario = {
  name: 'h2-rapid-reset',
  summary: 'HTTP/2 Rapid Reset: HEADERS + RST_STREAM pairs as fast as the rate allows (rate = streams/s), over TLS',
  repelledMeans: 'GOAWAY ENHANCE_YOUR_CALM per connection after the reset budget, sources escalated and dropped at accept; origin within capacity',
  kind: 'requests',
  https: true,
  defaults: { durationS: 10, rate: 5000, sources: 20, maxSockets: 64 },
  async run(ctx) {
    return h2Outcome(await runScenarioFlood(ctx, 'rapid_reset', '/news/1'));
  },
  judge: (f) => [...commonCriteria(f), endedWithGoaway(f, ['rapid_reset'])],
};
