/**
 * `tarpit`: answer slowly on purpose, so a bot that waits for answers sends fewer requests.
 * The answer is a 429 after TARPIT_DELAY_MS; at most MAX_TARPITTED sockets wait at once (a tarpit must
 * never hold more resources than the attack it slows), and beyond that the request is dropped instead.
 */
import type { RequestContext } from '../context.ts';
import { DONE, type PhaseResult } from '../phase.ts';
import { PAGES, sendPage } from '../pages/pages.ts';

export const TARPIT_DELAY_MS = 10_000;
export const MAX_TARPITTED = 1000;

let tarpitted = 0;

/** Sockets waiting in the tarpit now. */
export function tarpittedNow(): number {
  return tarpitted;
}

export function tarpit(ctx: RequestContext): PhaseResult {
  if (tarpitted >= MAX_TARPITTED) {
    ctx.end('dropped');
    ctx.req.socket.destroy();
    return DONE;
  }
  tarpitted++;
  ctx.end('tarpitted');
  const timer = setTimeout(() => {
    sendPage(ctx.res, PAGES.tooManyRequests, ctx.id, ctx.req.headers.accept, undefined, { close: true, retryAfterS: 60 });
  }, TARPIT_DELAY_MS);
  ctx.res.once('close', () => {
    clearTimeout(timer);
    tarpitted--;
  });
  return DONE;
}
