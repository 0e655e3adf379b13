/**
 * The request record of a request the pipeline handled, from its context: what `finish` in
 * edge/request-finish.ts writes for every request, and what the wire's answers (wire/hit.ts, wire/refusal.ts)
 * repeat for each copy of an armed request with the copy's own ID, time, bytes and duration — one place
 * that says which context field goes where, so a copy's record cannot drift from the pipeline's.
 */
import type { RequestContext } from '../context.ts';
import type { Outcome } from '../../core/vocabulary.ts';
import { UNROUTED_SITE, type RequestRecord } from '../../telemetry/request-record.ts';

/** How a request ended, as `finish` works it out (the rest of the record comes from the context). */
export interface RequestEnd {
  readonly outcome: Outcome;
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  readonly timeMs: number;
}

/** The record of `ctx` ending as `end`. */
export function requestRecordOf(ctx: RequestContext, end: RequestEnd): RequestRecord {
  const req = ctx.req;
  const site = ctx.site;
  return {
    timeMs: end.timeMs,
    site: site === null ? UNROUTED_SITE : site.name,
    requestId: ctx.id,
    outcome: end.outcome,
    status: end.status,
    method: req.method ?? '',
    host: ctx.host,
    path: ctx.path,
    httpVersion: req.httpVersion,
    clientAddress: ctx.clientAddress,
    prefix: ctx.prefix,
    userAgent: req.headers['user-agent'],
    referer: req.headers.referer,
    bytesIn: end.bytesIn,
    bytesOut: end.bytesOut,
    durationMs: end.durationMs,
    originLatencyMs: ctx.originLatencyMs,
    decisionBy: ctx.decision.by,
    cacheStatus: ctx.cacheStatus,
    errorCode: ctx.errorCode,
    cleared: ctx.cleared,
    asn: ctx.asn,
    country: ctx.country,
    fingerprint: ctx.fingerprint,
    uaClass: ctx.uaClass,
    challenge: ctx.challengeEvent,
    level: ctx.level,
  };
}
