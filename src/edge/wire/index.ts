/**
 * The wire (wire.ts): exact repeats of a request answered from the bytes read, before node:http parses
 * them — the refusal lane's 429s (refusal.ts) and fresh cache hits (hit.ts).
 */
import { connectionMemo } from '../../pipeline/connection-memo.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import { hitAnswerFor } from './hit.ts';
import { refusalAnswerFor } from './refusal.ts';
import type { Wire } from './wire.ts';

export { createWire, type Wire, type WireDeps, type WireStats, type WireTap } from './wire.ts';
export { canonicalHead, leadingCopies, onlyCopies } from './head-match.ts';

/**
 * After the pipeline answered `ctx` before returning: arms the wire for what answered it — the
 * connection's refusal lane (a 429 it opened or gave) or a fresh cache hit. Anything else: nothing.
 */
export function armAfterAnswer(wire: Wire, ctx: RequestContext): void {
  if (ctx.outcome === 'limited') {
    const lane = connectionMemo(ctx.req.socket).lane;
    if (lane !== null) wire.arm(ctx, lane, refusalAnswerFor);
  } else if (ctx.outcome === 'cached' && ctx.hitEntry !== null) wire.arm(ctx, ctx.hitEntry, hitAnswerFor);
}
