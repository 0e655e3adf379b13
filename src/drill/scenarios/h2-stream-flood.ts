/**
 * `h2-stream-flood` — docs/threats.md "HTTP/2 floods", stream floods: after acknowledging the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS, a client opens far more streams at once, on a page that must go to
 * the origin. Repelled: the connection is ended with GOAWAY PROTOCOL_ERROR at the first stream over the
 * limit, the streams within it wait their turn on the connection and in the origin's queue (never more
 * in flight than the origin's capacity), and visitors are served.
 */
import { commonCriteria } from './criteria.ts';
import { endedWithGoaway, h2Outcome, runScenarioFlood } from './h2-common.ts';
import type { Scenario } from './context.ts';

export const h2StreamFlood: Scenario = {
  name: 'h2-stream-flood',
  summary: 'HTTP/2 stream flood: 200 streams at once per connection, beyond the acknowledged limit of 100 (rate = streams/s), over TLS',
  repelledMeans: 'GOAWAY PROTOCOL_ERROR at the first stream over the limit; origin within capacity',
  kind: 'requests',
  https: true,
  defaults: { durationS: 10, rate: 2000, sources: 20, maxSockets: 64 },
  async run(ctx) {
    return h2Outcome(await runScenarioFlood(ctx, 'stream_flood', '/search?q=flood'));
  },
  judge: (f) => [...commonCriteria(f), endedWithGoaway(f, ['stream_flood', 'refused_streams'])],
};
