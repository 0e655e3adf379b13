/**
 * `ua-rotation` — docs/threats.md "header / user-agent rotation": each request carries a whole header set of
 * a different client (Chrome, Firefox, Safari, curl, python-requests, Go) with its header order shuffled.
 * Repelled: the header-order fingerprint and prefix aggregation still group the bots.
 */
import { runGetFlood } from '../attackers/get-flood.ts';
import { figuresOfFlood } from './figures.ts';
import { commonCriteria, mitigatedWithin } from './criteria.ts';
import { ARTICLE_PAGES, floodBase } from './site.ts';
import type { Scenario } from './context.ts';

/** The `ua-rotation` scenario: defaults, what repelled means, the attack (see the module comment). */
export const uaRotation: Scenario = {
  name: 'ua-rotation',
  summary: 'GET flood rotating user agents, whole header sets and header order',
  repelledMeans: 'header-order fingerprint and prefix aggregation still group the bots (mitigated within 10 s)',
  kind: 'requests',
  defaults: { durationS: 20, rate: 1000, sources: 20 },
  async run(ctx) {
    const r = await runGetFlood({ ...floodBase(ctx), paths: { kind: 'fixed', paths: ['/', ...ARTICLE_PAGES] }, headers: { kind: 'rotate_sets', shuffleOrder: true } });
    return { attack: figuresOfFlood(r), sentPerSecond: r.sentPerSecond, stoppedBy: r.stoppedBy, details: { latency: r.latency } };
  },
  judge: (f) => [...commonCriteria(f), mitigatedWithin(f, 10)],
};
