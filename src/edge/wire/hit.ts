/**
 * Cache hits on the wire (wire.ts): exact copies of a request the pipeline answered as a fresh HIT are
 * answered from the bytes read, with the same entry, while the pipeline would provably do the same.
 *
 * What the pipeline does for such a copy, and how the wire does the same or stands aside:
 * - parse and identify: the same bytes on the same socket give the same site, client, prefix, geo,
 *   fingerprint and user-agent class — within one config generation and one set of geo data (both
 *   checked). Clients whose identity has parts that change with time are never armed: a clearance
 *   cookie (it expires) and crawlers (their verification completes later).
 * - decide: run again for every copy, over the facts of the armed request at the current time and
 *   threat level (a changed level hands the copy over). First as a dry run (core/policy/decide.ts:
 *   `record = false`); anything but `allow` — a rule, a limit, a ban, a 404-budget penalty — hands the
 *   copy to node:http, which runs the pipeline for it from the start (nothing was counted twice). While
 *   the detector has signature rules in force for the site, the wire stands aside (their token buckets
 *   move when asked).
 * - shield: the store must still hold the same entry, fresh (a read-only peek first). Then the copy is
 *   decided for real (limits record it) and looked up for real (the use counts for admission and the
 *   hit counter, as the pipeline's lookup does).
 * - the answer: the entry's prepared head, `Age` and a fresh request ID, node:http's Date and
 *   keep-alive lines, the body — byte for byte what serve-entry.ts writes through node:http.
 * - the record: outcome `cached`, cache status HIT, the decision's source, one per copy; and what every
 *   answer feeds besides (pipeline/record/answer-accounting.ts: a cached 404 counts against the 404 budget, so
 *   its next copy, now under a penalty, goes to node:http and gets the 429).
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { ageSeconds, type CacheEntry } from '../../core/cache/entry.ts';
import { decide } from '../../core/policy/index.ts';
import { headerValue } from '../../core/cache/cache-control.ts';
import type { Priority } from '../../core/vocabulary.ts';
import { accountAnswer } from '../../pipeline/record/answer-accounting.ts';
import type { ConnectionMemo } from '../../pipeline/connection-memo.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import { RequestDecideFacts } from '../../pipeline/phases/decide.ts';
import type { Runtime, SiteRuntime } from '../../runtime/runtime.ts';
import type { RequestRecord } from '../../telemetry/request-record.ts';
import type { GeoData } from '../../runtime/geo-data.ts';
import type { PreparedFields } from '../../pipeline/pages/prepared-head.ts';
import { requestRecordOf } from '../../pipeline/record/request-record-of.ts';
import { preparedOf } from '../../pipeline/shield/serve-entry.ts';
import type { WireAnswerer, WireOut } from './wire.ts';

type HeaderGetter = (name: string) => string | undefined;

/** Answers copies of one request with the cache entry it was served. */
class HitAnswer implements WireAnswerer {
  constructor(
    /**
     * The config generation and site the request was decided under, held weakly: after a reload an
     * idle connection's wire must not keep the old generation (its lists, tables) in memory.
     */
    readonly runtime: WeakRef<Runtime>,
    readonly site: WeakRef<SiteRuntime>,
    /** The geo data the request's identity came from (weakly, as above), null when there was none. */
    readonly geo: WeakRef<GeoData> | null,
    readonly facts: RequestDecideFacts,
    readonly key: string,
    /**
     * Weakly held: an entry the cache evicted must not stay in memory for as long as some idle
     * connection's wire remembers it (the cache's byte budget bounds what it holds, not this).
     */
    readonly entry: WeakRef<CacheEntry>,
    readonly lookup: { readonly header: HeaderGetter; readonly anonymous: boolean },
    readonly prepared: PreparedFields,
    readonly statusLine: string,
    readonly headOnly: boolean,
    /** The armed request's record (its threat level included): each copy's record is this one with its own ID, time and bytes. */
    readonly record: RequestRecord,
    /** The armed request's queue priority (a cleared or allow-listed client's 404s are not counted). */
    readonly priority: Priority,
  ) {}

  answer(memo: ConnectionMemo, out: WireOut): boolean {
    const runtime = out.deps.getRuntime();
    const site = this.site.deref();
    if (runtime !== this.runtime.deref() || site === undefined || memo.lane !== null) return false;
    const services = runtime.services;
    const startMono = performance.now();
    const nowMs = Date.now();
    if ((this.geo === null ? null : this.geo.deref()) !== services.geo || services.levelOf(site.name) !== this.record.level) return false;
    if (services.signatures !== null && services.signatures.hasRules(site.name, nowMs)) return false;
    // The decide phase's verdict, as a dry run: only a plain allow is the wire's to serve.
    const state = services.decideState;
    const dry = decide(this.facts, site.policy, state, nowMs, false);
    if (dry.decision.action !== 'allow') return false;
    const notFound = services.policy.notFound;
    if (dry.list?.kind !== 'allow' && notFound !== null && notFound.penalty(site.name, this.facts.prefix, nowMs) !== null) return false;
    // The shield's: the same entry, still fresh.
    const entry = this.entry.deref();
    const store = site.shield.store;
    const peek = store.peek(this.key, nowMs, this.lookup);
    if (entry === undefined || peek.state !== 'fresh' || peek.entry !== entry) return false;
    // From here on it is the wire's: decided for real (limits record it), looked up for real.
    const result = decide(this.facts, site.policy, state, nowMs, true);
    if (result.decision.action !== 'allow') return false; // same state, same moment: cannot differ
    store.lookup(this.key, nowMs, this.lookup);
    const id = out.deps.nextId();
    const head = this.statusLine + this.prepared.block + 'age: ' + ageSeconds(entry, nowMs) + '\r\nx-request-id: ' + id + '\r\n' + out.tail(this.prepared.hasDate);
    const bytesOut = out.write(head, this.headOnly ? undefined : entry.body);
    // Written: the bookkeeping below must not make the wire think otherwise.
    try {
      site.shield.counters.hits++;
      const stats = result.shadow.length > 0 || result.errors.length > 0 ? services.policyStatsOf(site.name) : null;
      if (stats !== null) {
        for (const hit of result.shadow) stats.shadow(hit.by, hit.action);
        for (const e of result.errors) stats.ruleError(e.by);
      }
      const durationMs = performance.now() - startMono;
      const record: RequestRecord = { ...this.record, timeMs: Math.floor(nowMs + durationMs), requestId: id, bytesIn: out.headBytes, bytesOut, durationMs, decisionBy: result.decision.by };
      // The 404 budget (a cached 404 repeated on one connection) as node:http's path feeds it.
      accountAnswer(runtime, record, this.priority);
      out.deps.recorder.record(record);
    } catch (err) {
      out.deps.logger.error({ err, code: 'BULWARK_ERR_WIRE' }, 'recording a cache hit answered on the wire failed');
    }
    return true;
  }
}

/**
 * The answerer for copies of `ctx`, a request the shield answered at once with a fresh HIT (see the
 * module comment for what qualifies); null when it does not qualify.
 */
export function hitAnswerFor(ctx: RequestContext, entry: CacheEntry): WireAnswerer | null {
  const site = ctx.site;
  if (ctx.hitEntry !== entry || site === null || ctx.cacheStatus !== 'HIT' || ctx.decision.action !== 'allow') return null;
  // Identity that changes with time, or comes from a forwarding proxy, is not the wire's to repeat.
  if (ctx.forwardedFor !== '' || ctx.clearance !== 'none' || ctx.cleared || ctx.uaClass === 'crawler' || ctx.verifiedCrawler || ctx.upgrade) return null;
  const status = http.STATUS_CODES[entry.status];
  const prepared = preparedOf(entry, 'HIT');
  if (status === undefined || prepared === null) return null;
  const req = ctx.req;
  const headers = req.headers;
  const header: HeaderGetter = (name) => headerValue(headers, name);
  return new HitAnswer(
    new WeakRef(ctx.runtime),
    new WeakRef(site),
    ctx.runtime.services.geo === null ? null : new WeakRef(ctx.runtime.services.geo),
    new RequestDecideFacts(ctx),
    ctx.hitKey,
    new WeakRef(entry),
    { header, anonymous: ctx.hitAnonymous },
    prepared,
    `HTTP/1.1 ${entry.status} ${status}\r\n`,
    req.method === 'HEAD',
    requestRecordOf(ctx, { outcome: 'cached', status: entry.status, bytesIn: 0, bytesOut: 0, durationMs: 0, timeMs: 0 }),
    ctx.priority,
  );
}
