/**
 * `enforce` — acts on a non-allow decision with a prepared, cheap response:
 * `block` → 403 page (HTML/JSON/text by Accept) with the request ID; `rate_limit` → 429 with
 * `Retry-After` and `RateLimit` headers; `drop` → the socket is destroyed without an answer; `tarpit` →
 * a slow 429 (capped: beyond the cap, a drop); `challenge` → a cached copy when one costs the origin
 * nothing (the cache serves everyone: pipeline/shield/shield-flow.ts `serveCachedCopy`), else the challenge
 * page, or a status-only answer for clients that cannot solve one (pipeline/enforce/challenge-responder.ts).
 * Bulwark's own routes under `/.bulwark/` are served here, after decide, so limits and bans apply to
 * them; they are never forwarded.
 */
import { BULWARK_PATH_PREFIX } from '../../core/challenge/index.ts';
import { answerChallenge, serveBulwarkRoute } from '../enforce/challenge-responder.ts';
import { PAGES, sendPage } from '../pages/pages.ts';
import { serveCachedCopy } from '../shield/shield-flow.ts';
import { tarpit } from '../enforce/tarpit.ts';
import { openRefusalLane } from '../lane/refusal-lane.ts';
import { rateLimitFields } from '../../core/ratelimit/index.ts';
import type { RequestContext } from '../context.ts';
import { CONTINUE, DONE, type Phase } from '../phase.ts';

export const enforcePhase: Phase = {
  name: 'enforce',
  // Every answer here is written at once but the tarpit's, which holds the request.
  atHead: (ctx) => ctx.decision.action !== 'tarpit',
  run(ctx: RequestContext) {
    const d = ctx.decision;
    if (d.action === 'allow' || d.action === 'challenge') {
      if (ctx.path.startsWith(BULWARK_PATH_PREFIX)) return serveBulwarkRoute(ctx);
    }
    switch (d.action) {
      case 'allow':
        return CONTINUE;
      case 'challenge':
        // Decide already let a sufficient clearance pass its rules and the level; this also covers the
        // detector's signature rules: a clearance passes only a challenge asking no more than it proves.
        if (ctx.site!.challenge.satisfies(ctx.clearanceClaims, ctx.level, d.difficulty)) return CONTINUE;
        // The cache serves everyone: a copy that costs the origin nothing is served, challenged or not.
        return serveCachedCopy(ctx) ? DONE : answerChallenge(ctx, d.difficulty);
      case 'block':
        ctx.end('blocked');
        sendPage(ctx.res, PAGES.forbidden, ctx.id, ctx.req.headers.accept);
        return DONE;
      case 'drop':
        ctx.end('dropped');
        ctx.req.socket.destroy();
        return DONE;
      case 'rate_limit': {
        ctx.end('limited');
        // RateLimit / RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers) plus Retry-After (the page
        // retries by itself after it). Values built from digits and config-validated limit names only:
        // written as trusted fields.
        const limit = ctx.limits !== null ? rateLimitFields(ctx.limits) : null;
        const trusted = limit === null || limit.ratelimit === undefined ? undefined : ['ratelimit-policy', limit['ratelimit-policy']!, 'ratelimit', limit.ratelimit];
        sendPage(ctx.res, PAGES.tooManyRequests, ctx.id, ctx.req.headers.accept, undefined, { trusted, retryAfterS: d.retryAfterS });
        openRefusalLane(ctx);
        return DONE;
      }
      case 'tarpit':
        return tarpit(ctx);
    }
  },
};
