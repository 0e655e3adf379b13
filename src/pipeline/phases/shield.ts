/**
 * `shield` — keeps the origin alive between "allowed" and "forwarded": micro-cache, coalescing,
 * adaptive concurrency with a priority queue, circuit breaker (issue #5). Until then: pass.
 */
import type { RequestContext } from '../context.ts';
import { CONTINUE, type Phase } from '../phase.ts';

export const shieldPhase: Phase = {
  name: 'shield',
  run(_ctx: RequestContext) {
    return CONTINUE;
  },
};
