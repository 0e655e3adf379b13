/**
 * `forward` — the last phase: hands the request to the site's origin (the site's balancer picks
 * among its healthy origins) and streams the answer back. Always DONE: the answer is
 * under way and `record` runs when the response closes.
 */
import { forwardToOrigin } from '../forward/forward-to-origin.ts';
import { forwardUpgrade } from '../forward/websocket.ts';
import type { RequestContext } from '../context.ts';
import { DONE, type Phase } from '../phase.ts';

export const forwardPhase: Phase = {
  name: 'forward',
  // The origin's answer streams back through node:http's response.
  atHead: () => false,
  run(ctx: RequestContext) {
    const site = ctx.site!;
    if (ctx.upgrade) {
      forwardUpgrade(ctx, site.pickUpstream(), ctx.runtime.config.connections.idle_timeout);
      return DONE;
    }
    forwardToOrigin(ctx, ctx.upstream ?? site.pickUpstream(), ctx.runtime.config.connections.send_timeout, site.config.max_body_bytes, ctx.forwardHooks ?? undefined);
    return DONE;
  },
};
