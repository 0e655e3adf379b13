/**
 * `shield` — keeps the origin alive between "allowed" and "forwarded": micro-cache and
 * serve-stale, coalescing, adaptive concurrency with a priority queue (cleared visitors first), circuit
 * breaker and balancing. The work is in pipeline/shield/shield-flow.ts; upgrades (WebSocket tunnels) pass
 * straight through, since a long-lived tunnel must not hold an admission slot.
 */
import { answersAtOnce, runShield } from '../shield/shield-flow.ts';
import type { RequestContext } from '../context.ts';
import { CONTINUE, type Phase } from '../phase.ts';

export const shieldPhase: Phase = {
  name: 'shield',
  // Only a fresh hit is answered at once; everything else may wait or reach the origin.
  atHead: (ctx) => !ctx.upgrade && answersAtOnce(ctx, ctx.site!.shield),
  run(ctx: RequestContext) {
    if (ctx.upgrade) return CONTINUE;
    return runShield(ctx, ctx.site!.shield);
  },
};
