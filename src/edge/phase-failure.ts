/**
 * What a request gets when one of its pipeline phases throws: a 500 page (or the connection aborted if
 * the response already started) and one error log line with the request ID, so a bug in one phase
 * costs one request, never the process.
 */
import type { Logger } from 'pino';
import type { PhaseFailureHandler } from '../pipeline/runner.ts';
import { PAGES, sendPage } from '../pipeline/pages/pages.ts';
import { ORIGIN_RETRY_AFTER_S } from '../pipeline/forward/forward-to-origin.ts';

/**
 * The pipeline's failure handler: a phase that throws gets the request answered with a 500 page (or the
 * connection aborted if the response already started) and one error log line with the request ID.
 */
export function createPhaseFailureHandler(logger: Logger): PhaseFailureHandler {
  return (ctx, phase, err) => {
    ctx.errorCode = 'BULWARK_ERR_INTERNAL';
    logger.error({ err, requestId: ctx.id, phase: phase.name, code: 'BULWARK_ERR_INTERNAL' }, 'a pipeline phase failed');
    ctx.end('error');
    if (!ctx.res.headersSent) sendPage(ctx.res, PAGES.internalError, ctx.id, ctx.req.headers.accept, undefined, { retryAfterS: ORIGIN_RETRY_AFTER_S });
    else ctx.res.destroy();
  };
}
