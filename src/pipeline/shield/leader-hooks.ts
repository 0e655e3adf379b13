/**
 * The forward hooks of a request the shield let through to the origin: they account for the admission
 * slot and the balancer pick when the exchange ends, capture a storable response while it streams to
 * the client (bounded by the cache's largest object), hand it to coalesced waiters, and serve stale
 * content instead of an origin error when there is some.
 */
import type { HeaderBag, HeaderGetter } from '../../core/cache/cache-control.ts';
import type { Flight } from '../../core/cache/coalescer.ts';
import { createEntry, entryState, type CacheEntry } from '../../core/cache/entry.ts';
import { refusedForEveryone, refusedWithoutFreshness, storable, type StorableDecision, type StorableReason } from '../../core/cache/storable.ts';
import type { ClientKey } from '../../core/shield/admission.ts';
import type { OriginResult, Pick } from '../../core/shield/balancer.ts';
import type { RequestContext } from '../context.ts';
import type { ForwardHooks, ForwardResult } from '../forward/forward-to-origin.ts';
import { originResponseHeaders } from '../forward/proxy-headers.ts';
import { noteServed } from './onset.ts';
import { serveEntry } from './serve-entry.ts';
import type { SiteShield } from '../../runtime/site-shield.ts';

export interface LeaderState {
  readonly shield: SiteShield;
  readonly pick: Pick;
  /** Cache key and flight when this request leads a coalesced miss; null otherwise. */
  readonly key: string | null;
  readonly flight: Flight | null;
  /** A stale entry to fall back on if the origin fails. */
  readonly fallback: CacheEntry | null;
  readonly header: HeaderGetter;
  readonly pin: boolean;
  /** Who holds the admission slot. */
  readonly client: ClientKey;
}

/**
 * Lower-cased header bag from a flat `[name, value, ...]` list (what storable() reads). No prototype:
 * the names are the origin's, and `constructor` or `__proto__` must be fields like any other.
 */
function bagOf(flat: readonly string[]): Record<string, string | string[]> {
  const bag: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    const prev = bag[name];
    if (prev === undefined) bag[name] = flat[i + 1]!;
    else if (Array.isArray(prev)) prev.push(flat[i + 1]!);
    else bag[name] = [prev, flat[i + 1]!];
  }
  return bag;
}

function originResult(result: ForwardResult): OriginResult {
  if (result.kind === 'client_gone') return 'ignored';
  if (result.kind === 'failed') return result.source === 'client' ? 'ignored' : result.timeout ? 'timeout' : result.connect ? 'connect_error' : 'http_5xx';
  if (result.status === 503 || result.status === 429) return 'overloaded';
  return result.status >= 500 ? 'http_5xx' : 'success';
}

/** True when a stale entry may still be served because the origin failed (stale-if-error window). */
export function usableOnError(entry: CacheEntry | null, nowMs: number): entry is CacheEntry {
  if (entry === null) return false;
  const state = entryState(entry, nowMs);
  return state !== 'expired';
}

/**
 * The hooks of one request the shield let through (see the module comment). One object per request,
 * its methods on the prototype: no closures are made per request.
 */
class LeaderHooks implements ForwardHooks {
  private decision: StorableDecision | null = null;
  private headers: HeaderBag | null = null;
  private status = 0;
  private chunks: Buffer[] | null = null;
  private bytes = 0;
  private flightOpen: boolean;
  private settled = false;
  private released = false;

  constructor(private readonly s: LeaderState) {
    this.flightOpen = s.flight !== null;
  }

  /**
   * The admission slot is held until the origin has sent the whole response (with response buffering,
   * that is the origin's speed for ordinary pages, not the reader's), so the limit bounds what the
   * origin is really doing; the latency sample is the time to the response head, so a long body or a
   * slow reader never drags the limit down.
   */
  private release(outcome: 'success' | 'dropped' | 'ignored', latencyMs: number, nowMs: number): void {
    if (this.released) return;
    this.released = true;
    this.s.shield.admission.release(this.s.client, outcome, latencyMs, nowMs);
  }

  private failFlight(reason: 'leader_failed' | 'not_shareable'): void {
    if (this.flightOpen && this.s.flight !== null) this.s.shield.coalescer.fail(this.s.flight, reason);
    this.flightOpen = false;
  }

  /**
   * The answer cannot be stored: the waiters go to the origin, and when nobody's request would be
   * answered otherwise (core/cache/storable.ts refusedForEveryone), the key is not coalesced for a while
   * (core/cache/coalescer.ts unshareable keys).
   */
  private unshareable(reason: StorableReason, status: number, nowMs: number): void {
    this.failFlight('not_shareable');
    if (this.s.key !== null && refusedForEveryone(reason, status, this.s.shield.policy)) this.s.shield.coalescer.markUnshareable(this.s.key, nowMs);
  }

  /**
   * A response the cache could not take (a bug: the hooks must never throw into the origin exchange).
   * The answer still reaches the client; the waiters go to the origin; the failure is counted and
   * reported (logged once per site, site-shield.ts).
   */
  private cannotStore(err: unknown): void {
    this.chunks = null;
    this.failFlight('not_shareable');
    this.s.shield.storeFailed(err);
  }

  onHead(ctx: RequestContext, st: number, flat: string[], explicitFreshness: boolean): boolean {
    const s = this.s;
    const shield = s.shield;
    if (st >= 500 && st !== 501 && s.fallback !== null) {
      const now = Date.now();
      if (usableOnError(s.fallback, now)) {
        this.failFlight('leader_failed');
        shield.counters.staleServed++;
        serveEntry(ctx, s.fallback, 'STALE', now);
        return false;
      }
    }
    if (s.key !== null) {
      this.status = st;
      ctx.cacheStatus = 'MISS';
      shield.counters.misses++;
      const request = { method: ctx.req.method ?? 'GET', header: s.header };
      // Most origin answers say nothing about caching: without Cache-Control or Expires only the
      // micro-cache could store one, so without it the decision is known before any of it is built.
      if (!explicitFreshness && refusedWithoutFreshness(request, st, shield.policy)) {
        // (The request's start is time enough for a mark of seconds: no clock read here.)
        this.unshareable('no_freshness', st, ctx.startMs);
        return true;
      }
      const now = Date.now();
      try {
        // The origin's fields only: every answer from the cache adds its own request ID and Via.
        const headers = bagOf(originResponseHeaders(flat));
        this.headers = headers;
        const decision = storable(request, { status: st, headers }, shield.policy, now);
        this.decision = decision;
        if (decision.storable && ctx.req.method === 'GET') this.chunks = [];
        else this.unshareable(decision.reason, st, now);
      } catch (err) {
        this.cannotStore(err);
      }
    }
    return true;
  }

  onData(_ctx: RequestContext, chunk: Buffer): void {
    if (this.chunks === null) return;
    this.bytes += chunk.length;
    if (this.bytes > this.s.shield.store.maxObjectBytes) {
      this.chunks = null;
      this.failFlight('not_shareable');
    } else this.chunks.push(chunk);
  }

  onEnd(): void {
    const { chunks, decision, headers, s } = this;
    if (chunks === null || decision === null || headers === null || s.key === null) return;
    try {
      const entry = createEntry(s.key, { status: this.status, headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.bytes) }, decision, Date.now(), s.header);
      this.chunks = null;
      s.shield.store.put(entry, { pin: s.pin });
      s.shield.coalescer.markShareable(s.key);
      if (this.flightOpen && s.flight !== null) s.shield.coalescer.resolve(s.flight, entry);
      this.flightOpen = false;
    } catch (err) {
      this.cannotStore(err);
    }
  }

  onFailure(ctx: RequestContext): boolean {
    this.failFlight('leader_failed');
    const now = Date.now();
    if (!usableOnError(this.s.fallback, now)) return false;
    this.s.shield.counters.staleServed++;
    serveEntry(ctx, this.s.fallback, 'STALE', now);
    return true;
  }

  onSettled(ctx: RequestContext, result: ForwardResult): void {
    // Called by the forward handler, and again by the response's close as a backstop (a request
    // whose body framing broke never reaches the origin): release exactly once.
    if (this.settled) return;
    this.settled = true;
    this.failFlight('leader_failed');
    const shield = this.s.shield;
    const now = Date.now();
    const dropped =
      (result.kind === 'failed' && result.source === 'origin' && (result.timeout || result.connect)) ||
      (result.kind === 'response' && (result.status === 503 || result.status === 429));
    const latency = ctx.originLatencyMs >= 0 ? ctx.originLatencyMs : 0;
    this.release(result.kind === 'client_gone' ? 'ignored' : dropped ? 'dropped' : 'success', latency, now);
    shield.balancer.done(this.s.pick, originResult(result), now);
    if (result.kind === 'response' && result.status < 400) noteServed(ctx, shield, now);
  }
}

/** The forward hooks of a request the shield let through (see {@link LeaderHooks}). */
export function createLeaderHooks(s: LeaderState): ForwardHooks {
  return new LeaderHooks(s);
}
