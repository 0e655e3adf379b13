/**
 * Recording every exit of a request exactly once: whether the pipeline answered it, the origin's answer
 * streamed to the end, the client went away or a phase failed, `finish` settles the request's outcome
 * and status, releases what it held (origin exchange, shield slot, the runtime's in-flight count) and
 * hands one record to the recorder, the 404 budget and escalation.
 */
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { takeRequestBytes, type RequestContext } from '../pipeline/context.ts';
import { identifyClient } from '../pipeline/phases/identify.ts';
import { accountAnswer } from '../pipeline/record/answer-accounting.ts';
import { requestRecordOf } from '../pipeline/record/request-record-of.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Recorder } from '../telemetry/recorder.ts';

/** Where a response carries its request's context (one shared 'close' listener, no closure per request). */
export const kContext = Symbol('bulwark.context');

/** A response with its request's context attached (by the proxy server's request handler). */
export type ContextualResponse = ServerResponse & { [kContext]?: RequestContext };

export interface RequestFinishDeps {
  readonly recorder: Recorder;
  /** Called when a runtime's last in-flight request finishes (reload retires old generations). */
  onRuntimeIdle(runtime: Runtime): void;
}

export interface RequestFinisher {
  /**
   * Records the request (once). `answered`: the pipeline ended the response before it returned, so it is
   * complete from Bulwark's side even though the socket may still be flushing it.
   */
  finish(ctx: RequestContext, answered?: boolean): void;
  /** The one shared 'close' listener of responses: finishes the context hung on the response. */
  onResponseClose(this: ServerResponse): void;
}

/** Creates the finisher of one proxy server. */
export function createRequestFinisher(deps: RequestFinishDeps): RequestFinisher {
  const { recorder } = deps;

  function finish(ctx: RequestContext, answered = false): void {
    if (ctx.recorded) return;
    ctx.recorded = true;
    const { res, req } = ctx;
    const complete = answered || res.writableFinished || ctx.statusOverride !== 0;
    if (!complete && ctx.abortOrigin !== null) ctx.abortOrigin();
    // Backstop: whatever happened on the way, the shield's slot and flight are released (idempotent).
    ctx.forwardHooks?.onSettled?.(ctx, { kind: 'client_gone' });
    const runtime = ctx.runtime;
    if (--runtime.inFlight === 0) deps.onRuntimeIdle(runtime);
    let outcome = ctx.outcome;
    let status = ctx.statusOverride !== 0 ? ctx.statusOverride : res.headersSent ? res.statusCode : 0;
    if (outcome === null) {
      if (complete) outcome = 'error';
      else {
        outcome = 'abandoned';
        status = 499; // nginx's "client closed request"
      }
    } else if (!complete && outcome === 'forwarded') {
      outcome = ctx.errorCode === null ? 'abandoned' : outcome;
    }
    const bytes = takeRequestBytes(req);
    // One clock read: the end's wall time is the start's plus the monotonic duration (a clock read is
    // a system call here, ~70 ns, a measurable share of a cache hit).
    const durationMs = performance.now() - ctx.startMono;
    const timeMs = Math.floor(ctx.startMs + durationMs);
    const site = ctx.site;
    // A request refused before identify ran (parse) is still recorded and escalated under its client.
    if (outcome === 'rejected' && ctx.clientAddress === '') identifyClient(ctx);
    if (site !== null) site.stats.requestEnded();
    const record = requestRecordOf(ctx, { outcome, status, bytesIn: bytes.bytesIn, bytesOut: bytes.bytesOut, durationMs, timeMs });
    // The 404 budget and escalation, as every answer path feeds them (pipeline/record/answer-accounting.ts).
    accountAnswer(runtime, record, ctx.priority);
    recorder.record(record);
  }

  function onResponseClose(this: ServerResponse): void {
    const ctx = (this as ContextualResponse)[kContext];
    if (ctx !== undefined) finish(ctx);
  }

  return { finish, onResponseClose };
}
