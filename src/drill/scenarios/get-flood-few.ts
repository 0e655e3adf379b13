/**
 * `get-flood-few` — docs/threats.md "GET flood, few sources": tens of addresses, each sending hundreds of
 * requests per second to the front page and article pages. Repelled: the sources are rate-limited, then
 * dropped at accept; the origin's load stays at its baseline.
 */
import { runGetFlood } from '../attackers/get-flood.ts';
import { addFigures, figuresOfFlood } from './figures.ts';
import { commonCriteria, mitigatedWithin } from './criteria.ts';
import { ARTICLE_PAGES, floodBase } from './site.ts';
import type { Scenario } from './context.ts';

/** The `get-flood-few` scenario: defaults, what repelled means, the attack (see the module comment). */
export const getFloodFew: Scenario = {
  name: 'get-flood-few',
  summary: 'GET flood from tens of sources, hundreds of req/s each, on the front page and articles',
  repelledMeans: 'sources rate-limited then dropped at accept; origin load stays at baseline (mitigated within 5 s)',
  kind: 'requests',
  defaults: { durationS: 20, rate: 2000, sources: 10 },
  async run(ctx) {
    const r = await runGetFlood({ ...floodBase(ctx), paths: { kind: 'fixed', paths: ['/', ...ARTICLE_PAGES] } });
    return { attack: addFigures([figuresOfFlood(r)]), sentPerSecond: r.sentPerSecond, stoppedBy: r.stoppedBy, details: { latency: r.latency } };
  },
  judge: (f) => [...commonCriteria(f), mitigatedWithin(f, 5)],
};
