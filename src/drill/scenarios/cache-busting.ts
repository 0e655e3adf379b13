/**
 * `cache-busting` — docs/threats.md "cache busting": half the attack asks cacheable pages with a random query
 * string (`/?_=k3j9x0q2aa`), the other half random paths that do not exist (`/x8k2a1/p9q0z1.php`, a 404
 * storm). Repelled: normalised cache keys and coalescing keep the origin's load flat; random-path 404
 * storms are recognised.
 */
import { runGetFlood } from '../attackers/get-flood.ts';
import { addFigures, addSeries, figuresOfFlood, stoppedByOf } from './figures.ts';
import { commonCriteria, originShareAtMost } from './criteria.ts';
import { floodBase, BOTNET_RANGE } from './site.ts';
import type { Scenario } from './context.ts';

/** The `cache-busting` scenario: defaults, what repelled means, the attack (see the module comment). */
export const cacheBusting: Scenario = {
  name: 'cache-busting',
  summary: 'random query strings on cacheable pages + random-path 404 storm',
  repelledMeans: 'normalised cache keys and coalescing keep origin load flat (≤ 10% of the attack reaches it); 404 storms recognised',
  kind: 'requests',
  defaults: { durationS: 20, rate: 1000, sources: 50 },
  async run(ctx) {
    const base = floodBase(ctx);
    const half = Math.max(1, Math.floor(ctx.settings.sources / 2));
    const halfBudget = Math.max(1, Math.floor(ctx.settings.maxRequests / 2));
    const sockets = Math.max(1, Math.floor(ctx.settings.maxSockets / 2));
    const bounds = { ...base.bounds, maxRequests: halfBudget, maxSockets: sockets };
    const [busting, storm] = await Promise.all([
      runGetFlood({ ...base, bounds, concurrency: sockets, ratePerS: ctx.settings.rate / 2, sources: half, paths: { kind: 'cache_bust', paths: ['/', '/feed'] } }),
      runGetFlood({
        ...base,
        bounds,
        concurrency: sockets,
        ratePerS: ctx.settings.rate / 2,
        seed: ctx.settings.seed + 1,
        sourceRange: { ...BOTNET_RANGE, block: (BOTNET_RANGE.block ?? 1) + 60 },
        sources: Math.max(1, ctx.settings.sources - half),
        paths: { kind: 'random_404' },
      }),
    ]);
    return {
      attack: addFigures([figuresOfFlood(busting), figuresOfFlood(storm)]),
      sentPerSecond: addSeries([busting.sentPerSecond, storm.sentPerSecond]),
      stoppedBy: stoppedByOf([busting.stoppedBy, storm.stoppedBy]),
      details: { cacheBust: { sent: busting.sent, byStatus: busting.byStatus }, randomPaths: { sent: storm.sent, byStatus: storm.byStatus } },
    };
  },
  judge: (f) => [...commonCriteria(f), originShareAtMost(f, 0.1)],
};
