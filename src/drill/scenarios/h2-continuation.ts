/**
 * `h2-continuation` — docs/threats.md "HTTP/2 floods", CONTINUATION flood (CVE-2024-27316): a header block
 * that never ends, one CONTINUATION frame after another, for the server to buffer. Repelled: the
 * connection is ended with GOAWAY ENHANCE_YOUR_CALM at the first CONTINUATION over the limit, nothing of
 * it reaches the origin, and visitors are served.
 */
import { commonCriteria } from './criteria.ts';
import { endedWithGoaway, h2Outcome, runScenarioFlood } from './h2-common.ts';
import type { Scenario } from './context.ts';

export const h2Continuation: Scenario = {
  name: 'h2-continuation',
  summary: 'HTTP/2 CONTINUATION flood: header blocks that never end (rate = CONTINUATION frames/s), over TLS',
  repelledMeans: 'GOAWAY ENHANCE_YOUR_CALM at the first CONTINUATION over the limit; nothing reaches the origin',
  kind: 'requests',
  https: true,
  defaults: { durationS: 10, rate: 2000, sources: 20, maxSockets: 64 },
  async run(ctx) {
    return h2Outcome(await runScenarioFlood(ctx, 'continuation'));
  },
  judge: (f) => [
    ...commonCriteria(f),
    endedWithGoaway(f, ['continuation_flood', 'header_block_too_large']),
    {
      check: 'no attack request reached the origin',
      ok: f.attack.reachedOrigin === null ? null : f.attack.reachedOrigin === 0,
      detail: f.attack.reachedOrigin === null ? 'origin figures not available' : `${f.attack.reachedOrigin} reached it`,
    },
  ],
};
