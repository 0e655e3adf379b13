/**
 * The refusal lane's copies on the wire (wire.ts): while a connection's refusal lane is open
 * (refusal-lane.ts), exact copies of the refused request are answered 429 from the bytes read, with the
 * page, fields, record, escalation count and stats the lane gives them.
 *
 * For every copy the lane's own conditions are checked again — same lane still open on the connection,
 * same config generation, before the limit admits again, the client not banned — and when one fails the
 * lane closes and node:http takes the copy through the whole pipeline.
 */
import { performance } from 'node:perf_hooks';
import type { ConnectionMemo } from '../../pipeline/connection-memo.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import { recordRefusalOf } from '../../pipeline/escalate.ts';
import { accountAnswer } from '../../pipeline/record/answer-accounting.ts';
import type { RequestRecord } from '../../telemetry/request-record.ts';
import { PAGES, pageFormat, renderedOf, retryRenderedOf, type PageFormat } from '../../pipeline/pages/pages.ts';
import { laneRefusalFields, laneRetryAfterS, type Lane } from '../../pipeline/lane/refusal-lane.ts';
import { requestRecordOf } from '../../pipeline/record/request-record-of.ts';
import type { WireAnswerer, WireOut } from './wire.ts';

const STATUS_LINE = 'HTTP/1.1 429 Too Many Requests\r\n';

/** Answers copies of one lane request, or lane requests at their parsed head, with the lane's 429. */
export class RefusalAnswer implements WireAnswerer {
  constructor(
    readonly lane: Lane,
    readonly format: PageFormat,
    readonly method: string,
    /** The record each answer's record is made from (with its own ID, time, bytes, level, path, Referer and User-Agent). */
    readonly record: RequestRecord,
    /** Where the Referer's and User-Agent's names sit in the lane's header list (-1: none), for answers at the head. */
    readonly refererAt = -1,
    readonly agentAt = -1,
  ) {}

  /** A copy on the wire: the lane's conditions checked again, then answered as the request it copies. */
  answer(memo: ConnectionMemo, out: WireOut): boolean {
    const lane = this.lane;
    const runtime = out.deps.getRuntime();
    if (memo.lane !== lane || lane.runtime !== runtime) return false;
    const startMono = performance.now();
    const nowMs = Date.now();
    const ban = runtime.services.decideState.ban;
    if (nowMs >= lane.untilMs || (ban !== undefined && ban(lane.facts.clientAddress, nowMs) != null)) {
      memo.lane = null;
      return false;
    }
    return this.respond(out, runtime, nowMs, startMono, this.record.path, this.record.referer, this.record.userAgent);
  }

  /**
   * Writes the lane's 429 for a request the lane serves at `nowMs` (its caller checked), with the
   * request's own target, Referer and User-Agent in its record, and accounts for it; false (nothing
   * written) when the page cannot be written as latin1.
   */
  respond(out: WireOut, runtime: Lane['runtime'], nowMs: number, startMono: number, path: string, referer: string | undefined, userAgent: string | undefined): boolean {
    const lane = this.lane;
    const id = out.deps.nextId();
    // The same try-again page and fields, in the same order, as sendPage writes for the lane (refusal-lane.ts).
    const retryAfterS = laneRetryAfterS(lane, nowMs);
    const page = retryRenderedOf(PAGES.tooManyRequests, this.format, this.method, retryAfterS, id);
    if (!page.ascii) return false;
    let head = STATUS_LINE + page.head.block + 'content-length: ' + (page.extra + id.length) + '\r\nx-request-id: ' + id + '\r\n';
    const fields = laneRefusalFields(lane, nowMs);
    for (let i = 0; i < fields.length; i += 2) head += fields[i] + ': ' + fields[i + 1] + '\r\n';
    head += 'retry-after: ' + retryAfterS + '\r\n' + out.tail(false);
    const bytesOut = out.write(head, this.method === 'HEAD' ? undefined : page.before + id + page.after);
    // Written: the bookkeeping below must not make the caller think otherwise.
    try {
      this.account(out, runtime, id, nowMs, startMono, bytesOut, path, referer, userAgent);
    } catch (err) {
      out.deps.logger.error({ err, code: 'BULWARK_ERR_WIRE' }, 'recording a refusal answered before node:http failed');
    }
    return true;
  }

  /** The answer's escalation count, stats and record, as the lane gives them (refusal-lane.ts). */
  private account(
    out: WireOut, runtime: Lane['runtime'], id: string, nowMs: number, startMono: number, bytesOut: number, path: string, referer: string | undefined, userAgent: string | undefined,
  ): void {
    const lane = this.lane;
    const f = lane.facts;
    const services = runtime.services;
    const by = lane.decision.by;
    recordRefusalOf(services, f.clientAddress, f.prefix, by, nowMs);
    const site = lane.site;
    const stats = services.policyStatsOf(site.name);
    stats.decided(by);
    stats.laneAnswered();
    out.counted(stats);
    const durationMs = performance.now() - startMono;
    const record: RequestRecord = {
      ...this.record, timeMs: Math.floor(nowMs + durationMs), requestId: id, path, referer, userAgent, bytesIn: out.headBytes, bytesOut, durationMs, level: services.levelOf(site.name),
    };
    accountAnswer(runtime, record, f.priority);
    out.deps.recorder.record(record);
  }
}

/**
 * The answerer for copies of `ctx`, a request its connection's refusal lane refused (by opening it or
 * answering from it); null when there is no such lane.
 */
export function refusalAnswerFor(ctx: RequestContext, lane: Lane): WireAnswerer | null {
  if (lane.decision !== ctx.decision) return null;
  const format = pageFormat(ctx.req.headers.accept);
  // Written as latin1 and counted in characters: the page must be ASCII (it is; checked anyway, and
  // again for each try-again variant as it is prepared).
  if (!renderedOf(PAGES.tooManyRequests, format).ascii) return null;
  // As the lane records its answers: no challenge phase runs for them (refusal-lane.ts answerFromLane).
  const record = { ...requestRecordOf(ctx, { outcome: 'limited', status: 429, bytesIn: 0, bytesOut: 0, durationMs: 0, timeMs: 0 }), challenge: null };
  return new RefusalAnswer(lane, format, ctx.req.method ?? 'GET', record);
}

/**
 * The answerer of `lane`'s requests at their parsed head (head-hook.ts), made from the lane's own
 * record; null when the lane's requests must take node:http's path: its page is not ASCII, or its
 * opening request (whose field names every lane request repeats) carries a field node:http acts on
 * before the answer — a body's framing, `Expect`, `Upgrade` —, a request ID a trusted proxy may have
 * set (node:http's path decides whether to keep it), or `Accept` twice (the page's format is read from
 * the two joined).
 */
export function laneHeadAnswerOf(lane: Lane): RefusalAnswer | null {
  let answer = headAnswers.get(lane);
  if (answer === undefined) {
    answer = null;
    const names = lane.rawHeaders;
    let accept: string | undefined;
    let refererAt = -1;
    let agentAt = -1;
    let plain = true;
    for (let i = 0; i < names.length; i += 2) {
      const name = names[i]!.toLowerCase();
      if (HEAD_PATH_FIELDS.has(name)) plain = false;
      else if (name === 'accept') {
        // Repeats are joined by node:http: the page format would be read from the joined value.
        if (accept !== undefined) plain = false;
        accept = names[i + 1];
      } else if (name === 'referer' && refererAt < 0) refererAt = i; // node:http keeps the first
      else if (name === 'user-agent' && agentAt < 0) agentAt = i; // likewise
    }
    const format = pageFormat(accept);
    if (plain && renderedOf(PAGES.tooManyRequests, format).ascii) answer = new RefusalAnswer(lane, format, lane.method, lane.record, refererAt, agentAt);
    headAnswers.set(lane, answer);
  }
  return answer;
}

/** Fields whose presence keeps a lane's requests on node:http's path (laneHeadAnswerOf). */
const HEAD_PATH_FIELDS: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'expect', 'upgrade', 'x-request-id']);

/** One answerer per lane, made on the lane's first request answered at its head. */
const headAnswers = new WeakMap<Lane, RefusalAnswer | null>();
