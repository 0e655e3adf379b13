/**
 * The refusal lane: a flood's keep-alive connection, once refused by a rate limit, is answered 429 on
 * its next requests without running identify and decide again — until the limit would admit it.
 *
 * A flooding client sends the same request over and over on one connection; re-deriving who it is and
 * re-evaluating rules and limits for each copy is most of what Bulwark spends on it beyond node:http
 * itself. The lane is opened by `enforce` when a limit that cannot depend on the request refused
 * (runtime/refusal-lane-policy.ts decides which), and it serves a request only when everything the
 * decision depended on is provably unchanged:
 * - same config generation, same method and HTTP version, an origin-form target already in normal form
 *   (core/http/request-target.ts: the record shows the path parse would have made), no body;
 * - its header fields repeat the opening request's (runtime/refusal-lane-policy.ts, `laneHeadersRepeat`):
 *   the same names in the same order (so the same fingerprint), and the same values for every field a
 *   lane answer depends on — Host and site, the user-agent class (a User-Agent may change to another of
 *   the same class, unless a clearance or a crawler's claim is involved), the clearance (a Cookie line
 *   may change unless it carries one), Accept, the forwarding fields, framing. A value nothing here
 *   reads (Referer, a session cookie, an extension header, a cache-busting field) may change from
 *   request to request: the lane answers it exactly as decide would have;
 * - before the time the limit admits again (GCRA: refused requests do not move the limit, so nothing
 *   else can make it admit earlier);
 * - the client is still not banned (a ban turns the 429 into a drop: the normal path handles it).
 * Anything else closes the lane and the request takes the normal path. Each lane answer is still a full
 * request record (stats, detector, access log), still counts toward escalation and the policy stats,
 * and carries fresh `Retry-After` / `RateLimit` values.
 *
 * A connection whose requests differ in a bound field (a flood varying its Accept-Language) would open a
 * lane on every refusal and close it on the next request, paying for both and gaining nothing: after a
 * lane closes unused, the connection's next 2^n − 1 refusals open none (n lanes in a row closed unused,
 * up to 2^6 − 1), and one answered from a lane resets it. Those refusals take the normal path, which
 * answers them exactly as the lane would have.
 *
 * Lane requests go one step further on HTTP/1.1: they are answered as soon as node's parser has read
 * their head, before node:http makes request and response objects of them (edge/wire/head-hook.ts), and
 * byte-for-byte copies of a request the lane answered are answered from the bytes read, before node:http
 * parses them (edge/wire/refusal.ts) — both with the same page, fields and record.
 */
import type { Socket } from 'node:net';
import type { Decision } from '../../core/vocabulary.ts';
import { hasRequestBody, type RequestContext } from '../context.ts';
import type { Runtime, SiteRuntime } from '../../runtime/runtime.ts';
import { recordEscalation } from '../escalate.ts';
import { formatRateLimitItem, rateLimitPolicyItem } from '../../core/ratelimit/index.ts';
import { connectionMemo } from '../connection-memo.ts';
import { PAGES, sendPage } from '../pages/pages.ts';
import { scanTarget, TARGET_CLEAN } from '../../core/http/request-target.ts';
import { laneHeadersRepeat, type LaneAgentRule } from '../../runtime/refusal-lane-policy.ts';
import { userAgentClass } from '../phases/identify.ts';
import { requestRecordOf } from '../record/request-record-of.ts';
import type { RequestRecord } from '../../telemetry/request-record.ts';

export interface Lane {
  readonly runtime: Runtime;
  readonly site: SiteRuntime;
  /** Wall-clock ms from which the refusing limit would admit this client again. */
  readonly untilMs: number;
  /** Wall-clock ms at which the limit's bucket is full again (`RateLimit` t=). */
  readonly resetAtMs: number;
  readonly method: string;
  readonly version: string;
  /** The opening request's raw headers: every lane request must repeat them (`laneHeadersRepeat`). */
  readonly rawHeaders: readonly string[];
  /** Whether (and to what) a lane request's User-Agent may change (`laneHeadersRepeat`); null: it may not. */
  readonly agent: LaneAgentRule | null;
  /** What identify and parse found for the opening request (copied into each lane request). */
  readonly facts: LaneFacts;
  readonly decision: Decision;
  /** `RateLimit-Policy` value and the limit's name for `RateLimit`. */
  readonly policyField: string;
  readonly limitName: string;
  /**
   * The opening request's record as a lane answer records it (429, `limited`, no challenge step): a
   * lane answer given without a request context (edge/wire/head-hook.ts) is this record with its own
   * ID, time, bytes, level, path, Referer and User-Agent — the only fields a lane request may change
   * that a record shows.
   */
  readonly record: RequestRecord;
}

type LaneFacts = Pick<
  RequestContext,
  'host' | 'clientAddress' | 'ip' | 'prefix' | 'asn' | 'country' | 'addressLabel' | 'fingerprint' | 'uaClass' | 'cleared' | 'clearance' | 'verifiedCrawler' | 'priority'
>;


/** Backoff cap: after this many lanes in a row closed unused, one refusal in 2^6 opens a lane. */
const MAX_LANE_MISSES = 6;

/**
 * Opens a lane on the request's connection after a rate-limit refusal, when the refusing limit and
 * the request allow it (see the module comment); otherwise does nothing.
 */
export function openRefusalLane(ctx: RequestContext): void {
  const site = ctx.site;
  const d = ctx.decision;
  const refused = ctx.limits?.refused ?? null;
  if (site === null || refused === null || d.action !== 'rate_limit' || !site.laneRefusals.has(d.by)) return;
  const req = ctx.req;
  const method = req.method ?? '';
  if ((method !== 'GET' && method !== 'HEAD') || ctx.forwardedFor !== '' || ctx.upgrade || !ctx.res.shouldKeepAlive || hasRequestBody(req)) return;
  const socket = req.socket as Socket | null;
  if (socket === null) return;
  const memo = connectionMemo(socket);
  if (memo.laneSkips > 0) {
    memo.laneSkips--;
    return;
  }
  const result = refused.result;
  memo.lane = {
    runtime: ctx.runtime,
    site,
    untilMs: ctx.startMs + result.retryAfterMs,
    resetAtMs: ctx.startMs + result.resetMs,
    method,
    version: req.httpVersion,
    rawHeaders: req.rawHeaders,
    // All identify derives from a user agent is its class, unless a clearance (bound to the user agent)
    // or a crawler's claim (verified against it) is involved: then the user agent must repeat.
    agent: ctx.clearance === 'none' && ctx.uaClass !== 'crawler' && !ctx.verifiedCrawler ? { uaClass: ctx.uaClass, classOf: userAgentClass } : null,
    facts: {
      host: ctx.host, clientAddress: ctx.clientAddress, ip: ctx.ip, prefix: ctx.prefix, asn: ctx.asn, country: ctx.country, addressLabel: ctx.addressLabel,
      fingerprint: ctx.fingerprint, uaClass: ctx.uaClass, cleared: ctx.cleared, clearance: ctx.clearance, verifiedCrawler: ctx.verifiedCrawler, priority: ctx.priority,
    },
    decision: d,
    policyField: rateLimitPolicyItem(refused.limit),
    limitName: refused.limit.name,
    record: { ...requestRecordOf(ctx, { outcome: 'limited', status: 429, bytesIn: 0, bytesOut: 0, durationMs: 0, timeMs: 0 }), challenge: null },
  };
}

/**
 * Whether the lane may answer a request (see the module comment) arriving at `nowMs` under `runtime`
 * with this method, HTTP version, origin-form target and header list. The one statement of the lane's
 * conditions, for the pipeline's lane phase and for lane answers given at the parsed head
 * (edge/wire/head-hook.ts); whether the target is in normal form each checks before.
 */
export function laneServes(lane: Lane, runtime: Runtime, nowMs: number, method: string | undefined, version: string, path: string, rawHeaders: readonly string[]): boolean {
  if (lane.runtime !== runtime || nowMs >= lane.untilMs) return false;
  if (method !== lane.method || version !== lane.version || path.charCodeAt(0) !== 47 /* / */) return false;
  if (!laneHeadersRepeat(lane.rawHeaders, rawHeaders, lane.agent)) return false;
  const ban = runtime.services.decideState.ban;
  return ban === undefined || ban(lane.facts.clientAddress, nowMs) == null;
}

/**
 * Answers the request from its connection's lane (429 with fresh Retry-After / RateLimit) and returns
 * true; returns false (and closes the lane) when the request must take the normal path.
 */
export function answerFromLane(ctx: RequestContext): boolean {
  const socket = ctx.req.socket as Socket | null;
  if (socket === null) return false;
  const memo = connectionMemo(socket);
  const lane = memo.lane;
  if (lane === null) return false;
  // The lane answers before parse: only a target already in normal form (core/http/request-target.ts)
  // may skip it, so the record shows the path every other answer would. Anything else takes the
  // normal path this once; the lane stays open.
  if (scanTarget(ctx.path) !== TARGET_CLEAN) return false;
  const req = ctx.req;
  if (!laneServes(lane, ctx.runtime, ctx.startMs, req.method, req.httpVersion, ctx.path, req.rawHeaders)) {
    memo.lane = null;
    if (memo.laneMisses < MAX_LANE_MISSES) memo.laneMisses++;
    memo.laneSkips = (1 << memo.laneMisses) - 1;
    return false;
  }
  memo.laneMisses = 0;
  const f = lane.facts;
  const site = lane.site;
  ctx.site = site;
  ctx.host = f.host;
  ctx.clientAddress = f.clientAddress;
  ctx.ip = f.ip;
  ctx.prefix = f.prefix;
  ctx.asn = f.asn;
  ctx.country = f.country;
  ctx.addressLabel = f.addressLabel;
  ctx.fingerprint = f.fingerprint;
  ctx.uaClass = f.uaClass;
  ctx.cleared = f.cleared;
  ctx.clearance = f.clearance;
  ctx.verifiedCrawler = f.verifiedCrawler;
  ctx.priority = f.priority;
  ctx.level = ctx.runtime.services.levelOf(site.name);
  ctx.decision = lane.decision;
  site.stats.requestStarted();
  ctx.end('limited');
  recordEscalation(ctx, lane.decision.by);
  const stats = ctx.runtime.services.policyStatsOf(site.name);
  stats.decided(lane.decision.by);
  stats.laneAnswered();
  sendPage(ctx.res, PAGES.tooManyRequests, ctx.id, ctx.req.headers.accept, undefined, { trusted: laneRefusalFields(lane, ctx.startMs), retryAfterS: laneRetryAfterS(lane, ctx.startMs) });
  return true;
}

/**
 * The fields a lane answer at `nowMs` adds to the 429 page: `RateLimit-Policy` and a fresh `RateLimit`
 * (`Retry-After` follows them, from {@link laneRetryAfterS}). Digits and the config-validated limit name
 * only: trusted fields (pages.ts).
 */
export function laneRefusalFields(lane: Lane, nowMs: number): string[] {
  return [
    'ratelimit-policy', lane.policyField,
    'ratelimit', formatRateLimitItem(lane.limitName, 0, Math.max(0, lane.resetAtMs - nowMs)),
  ];
}

/** Seconds until the lane's limit admits again (at least 1): the answer's `Retry-After`. */
export function laneRetryAfterS(lane: Lane, nowMs: number): number {
  return Math.max(1, Math.ceil((lane.untilMs - nowMs) / 1000));
}
