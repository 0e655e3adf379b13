/**
 * `get-flood-many` — docs/threats.md "GET flood, many sources": thousands of addresses (each in its own /24),
 * each staying well under any per-address limit (about one request every two seconds). Repelled: detected
 * from the site-wide rate and the surge of new sources within seconds; uncleared clients challenged;
 * cleared visitors unaffected.
 */
import { runGetFlood } from '../attackers/get-flood.ts';
import { figuresOfFlood } from './figures.ts';
import { commonCriteria, mitigatedWithin } from './criteria.ts';
import { ARTICLE_PAGES, floodBase } from './site.ts';
import type { Scenario } from './context.ts';

/** The `get-flood-many` scenario: defaults, what repelled means, the attack (see the module comment). */
export const getFloodMany: Scenario = {
  name: 'get-flood-many',
  summary: 'GET flood from thousands of sources, each under per-IP limits (≈0.5 req/s each)',
  repelledMeans: 'detected from site-wide rate and source surge within seconds; uncleared clients challenged (mitigated within 10 s)',
  kind: 'requests',
  defaults: { durationS: 20, rate: 1000, sources: 2000, warmupS: 35 },
  async run(ctx) {
    const r = await runGetFlood({ ...floodBase(ctx), paths: { kind: 'fixed', paths: ['/', ...ARTICLE_PAGES] }, headers: { kind: 'rotate_ua' } });
    return { attack: figuresOfFlood(r), sentPerSecond: r.sentPerSecond, stoppedBy: r.stoppedBy, details: { latency: r.latency, perSourceRate: ctx.settings.rate / ctx.settings.sources } };
  },
  judge: (f) => [...commonCriteria(f), mitigatedWithin(f, 10)],
};
