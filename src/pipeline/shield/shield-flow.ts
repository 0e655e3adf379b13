/**
 * The shield phase's work for one request, in order:
 * 1. cache: a fresh entry is served at once (HIT); a stale-while-revalidate one too (STALE), while one
 *    background refresh runs; a stale-if-error one is kept as a fallback;
 * 2. coalescing: concurrent misses on one key wait for the first (the leader) within `coalesce_wait`;
 * 3. admission: the request takes a slot under the site's adaptive concurrency limit, waiting in the
 *    priority queue (cleared visitors first) up to `max_wait`; the origin never sees more in flight;
 * 4. balancing: an origin whose breaker is closed and which is healthy is picked.
 * A small request body is received whole first (request-buffer.ts), so slow uploads never hold a slot.
 * A request that cannot be admitted or has no origin gets stale content if there is any, else the 503
 * "high demand" page with Retry-After. Then `forward` sends it, with hooks that store the response and
 * release the slot (leader-hooks.ts).
 */
import type { Socket } from 'node:net';
import { headerValue, type HeaderGetter } from '../../core/cache/cache-control.ts';
import { entryMatches, type CacheEntry } from '../../core/cache/entry.ts';
import { classifyCacheRequest } from '../../core/cache/storable.ts';
import { keyAuthority } from '../../core/http/authority.ts';
import type { ClientKey, Ticket } from '../../core/shield/admission.ts';
import { PRIORITY_RETURNING, PRIORITY_SUSPICIOUS, PRIORITY_UNKNOWN } from '../../core/vocabulary.ts';
import { isReturning, noteServed } from './onset.ts';
import { connectionMemo } from '../connection-memo.ts';
import { hasRequestBody, type RequestContext } from '../context.ts';
import { CONTINUE, DONE, type PhaseResult } from '../phase.ts';
import { PAGES, sendPage } from '../pages/pages.ts';
import { createLeaderHooks, usableOnError } from './leader-hooks.ts';
import { refreshInBackground } from './refresh.ts';
import { awaitFirstBytes, receiveBody, shouldBuffer } from './request-buffer.ts';
import { serveEntry } from './serve-entry.ts';
import type { SiteShield } from '../../runtime/site-shield.ts';

/** The request's fields by name, never a value inherited from Object.prototype (headerValue). */
function headerGetter(ctx: RequestContext): HeaderGetter {
  const h = ctx.req.headers;
  return (name) => headerValue(h, name);
}

interface CacheState {
  /** Who takes the admission slot (released with the same key). */
  client: ClientKey;
  key: string | null;
  leader: boolean;
  flight: import('../../core/cache/coalescer.ts').Flight | null;
  fallback: CacheEntry | null;
  header: HeaderGetter;
}

/** A request's normalised target and cache key, as remembered on its connection (see cacheKeyOf). */
export interface CacheKeyMemo {
  readonly keyer: SiteShield['keyer'];
  readonly site: string;
  readonly authority: string;
  readonly method: string;
  readonly path: string;
  readonly target: string;
  readonly key: string;
}

/**
 * The normalised target and cache key of the request. Clients on a keep-alive connection (and floods)
 * repeat the same URL: the last one is remembered on the socket, so a repeat skips normalising the
 * target and building the key, and the store's Map finds the key string's hash already computed. Valid
 * only for the same keyer (a reload brings a new one), site, authority, method and path (a connection's
 * scheme never changes).
 */
function cacheKeyOf(ctx: RequestContext, shield: SiteShield, method: string): CacheKeyMemo {
  const socket = ctx.req.socket as Socket | null;
  const memo = socket === null ? null : connectionMemo(socket);
  const site = ctx.site!.name;
  const last = memo === null ? null : memo.cacheKey;
  if (last !== null && last.path === ctx.path && last.authority === ctx.authority && last.keyer === shield.keyer && last.method === method && last.site === site) return last;
  const target = shield.keyer.normalizeTarget(ctx.path);
  const key = shield.keyer.keyOfTarget(method, keyAuthority(ctx.secure, ctx.authority), target);
  const next: CacheKeyMemo = { keyer: shield.keyer, site, authority: ctx.authority, method, path: ctx.path, target, key };
  if (memo !== null) memo.cacheKey = next;
  return next;
}

function newCacheState(ctx: RequestContext, header: HeaderGetter): CacheState {
  return { client: { address: ctx.clientAddress, prefix: ctx.prefix }, key: null, leader: false, flight: null, fallback: null, header };
}

/** Answers with stale content or the 503 "high demand" page, for a request the origin cannot take. */
function shed(ctx: RequestContext, shield: SiteShield, fallback: CacheEntry | null, reason: string): PhaseResult {
  const now = Date.now();
  if (usableOnError(fallback, now)) {
    shield.counters.staleServed++;
    serveEntry(ctx, fallback, 'STALE', now);
    return DONE;
  }
  shield.counters.shed++;
  ctx.errorCode = `BULWARK_ERR_SHED_${reason.toUpperCase()}`;
  ctx.end('shed');
  sendPage(ctx.res, PAGES.highDemand, ctx.id, ctx.req.headers.accept, undefined, { retryAfterS: shield.config.retry_after / 1000 });
  return DONE;
}

/** Takes an origin and sets the forward plan; the admission slot is already held. */
function planForward(ctx: RequestContext, shield: SiteShield, c: CacheState): PhaseResult {
  const now = Date.now();
  const pick = shield.balancer.pick(now);
  if (pick === undefined) {
    shield.admission.release(c.client, 'ignored', 0, now);
    shield.counters.noOrigin++;
    if (c.leader && c.flight !== null) shield.coalescer.fail(c.flight, 'leader_failed');
    return shed(ctx, shield, c.fallback, 'no_origin');
  }
  ctx.upstream = ctx.site!.upstreams[pick.index] ?? ctx.site!.pickUpstream();
  const pin = c.key !== null && shield.keyPages.has(ctx.originPath);
  ctx.forwardHooks = createLeaderHooks({ shield, pick, key: c.leader ? c.key : null, flight: c.leader ? c.flight : null, fallback: c.fallback, header: c.header, pin, client: c.client });
  return CONTINUE;
}

/** Waits in the priority queue; the client going away cancels the wait. */
function awaitTicket(ctx: RequestContext, shield: SiteShield, ticket: Ticket, c: CacheState): Promise<PhaseResult> {
  shield.counters.queued++;
  const onClose = () => {
    if (!shield.admission.cancel(ticket)) {
      /* already admitted or shed: the result handler below sees the closed response */
    }
  };
  ctx.res.once('close', onClose);
  return ticket.result.then((r) => {
    ctx.res.off('close', onClose);
    if (r.status !== 'admitted') {
      if (c.leader && c.flight !== null) shield.coalescer.fail(c.flight, 'leader_failed');
      if (ctx.res.destroyed) return DONE;
      return shed(ctx, shield, c.fallback, r.reason);
    }
    if (ctx.res.destroyed) {
      shield.admission.release(c.client, 'ignored', 0, Date.now());
      if (c.leader && c.flight !== null) shield.coalescer.fail(c.flight, 'leader_failed');
      return DONE;
    }
    return planForward(ctx, shield, c);
  });
}

/**
 * Takes an admission slot, or waits for one. Nobody is refused for sharing an address while the origin
 * has room; under contention the fair queue shares the turns (core/shield/admission.ts).
 */
function admit(ctx: RequestContext, shield: SiteShield, c: CacheState): PhaseResult | Promise<PhaseResult> {
  const now = Date.now();
  // Onset protection: a client the site served normally in the last minutes keeps its place ahead of
  // unknown ones (core/shield/returning-clients.ts).
  if (ctx.priority === PRIORITY_UNKNOWN && isReturning(ctx, shield, now)) ctx.priority = PRIORITY_RETURNING;
  const a = shield.admission.tryAcquire(ctx.priority, c.client, now);
  if (a.status === 'admitted') return planForward(ctx, shield, c);
  if (a.status === 'queued') {
    // Under attack the queue tightens: suspicious clients do not wait for a slot at all.
    if (ctx.level === 'under_attack' && ctx.priority === PRIORITY_SUSPICIOUS && shield.admission.cancel(a.ticket)) {
      if (c.leader && c.flight !== null) shield.coalescer.fail(c.flight, 'leader_failed');
      return shed(ctx, shield, c.fallback, 'suspicious_under_attack');
    }
    return awaitTicket(ctx, shield, a.ticket, c);
  }
  if (c.leader && c.flight !== null) shield.coalescer.fail(c.flight, 'leader_failed');
  return shed(ctx, shield, c.fallback, a.reason);
}

/** Receives a small request body whole, then admits (see request-buffer.ts). */
function bufferThenAdmit(ctx: RequestContext, shield: SiteShield, c: CacheState, reserved: number): Promise<PhaseResult> {
  return receiveBody(ctx, reserved).then((body) => {
    if (body === null) {
      // The client went away or broke its body: nothing to forward (the record says so).
      if (!ctx.res.destroyed && !ctx.res.headersSent) ctx.res.destroy();
      return DONE;
    }
    ctx.requestBody = body;
    return admit(ctx, shield, c);
  });
}

/**
 * The cache serves everyone: a request the policy would challenge is answered from the cache when a
 * copy costs the origin nothing — a fresh copy, a stale-while-revalidate one (its one background refresh
 * is coalesced), or under attack any stale copy still inside its stale-if-error window — and the site's
 * `cache.serve_everyone` is on (the default). Challenges guard the work that would reach the origin;
 * blocked, banned and rate-limited clients never get here. Returns false (nothing sent, nothing counted)
 * when there is no such copy: the caller challenges as before.
 */
export function serveCachedCopy(ctx: RequestContext): boolean {
  const shield = ctx.site!.shield;
  const cache = shield.config.cache;
  const method = ctx.req.method ?? 'GET';
  if (!cache.enabled || !cache.serve_everyone || ctx.upgrade || (method !== 'GET' && method !== 'HEAD')) return false;
  const header = headerGetter(ctx);
  const cls = classifyCacheRequest({ method, header }, shield.policy);
  if (!cls.lookup) return false;
  const now = ctx.startMs;
  const k = cacheKeyOf(ctx, shield, method);
  const request = { header, anonymous: cls.anonymous };
  // A read-only look first: a miss must not count as a use of the URL (the cache's admission).
  const peek = shield.store.peek(k.key, now, request);
  const usable = peek.state === 'fresh' || peek.state === 'stale_revalidate' || (peek.state === 'stale_if_error_only' && ctx.level === 'under_attack');
  if (!usable) return false;
  const hit = shield.store.lookup(k.key, now, request);
  if (hit.state === 'miss' || hit.entry !== peek.entry) return false;
  ctx.originPath = k.target;
  if (hit.state === 'fresh') {
    shield.counters.hits++;
    serveEntry(ctx, hit.entry, 'HIT', now);
  } else {
    shield.counters.staleServed++;
    serveEntry(ctx, hit.entry, 'STALE', now);
    if (hit.state === 'stale_revalidate') refreshInBackground(ctx, shield, k.key, header, shield.keyPages.has(ctx.originPath));
  }
  shield.counters.servedChallenged++;
  return true;
}

/**
 * For a request that declares a body: receives it (or its first bytes) before it is admitted (see
 * request-buffer.ts). Null when there is nothing to wait for (no length or a zero one, chunked, or
 * buffering off): the request goes on to the cache like any other.
 */
function bodyFirst(ctx: RequestContext, shield: SiteShield): Promise<PhaseResult> | PhaseResult | null {
  const reserved = shouldBuffer(ctx, shield.config.request_buffer);
  if (reserved > 0) return bufferThenAdmit(ctx, shield, newCacheState(ctx, headerGetter(ctx)), reserved);
  if (shield.config.request_buffer > 0 && Number(ctx.req.headers['content-length']) > 0 && ctx.req.headers['transfer-encoding'] === undefined) {
    const c = newCacheState(ctx, headerGetter(ctx));
    return awaitFirstBytes(ctx).then((ok) => {
      if (!ok) {
        if (!ctx.res.destroyed && !ctx.res.headersSent) ctx.res.destroy();
        return DONE;
      }
      return admit(ctx, shield, c);
    });
  }
  return null;
}

/**
 * Whether `runShield` would answer the request at once from a fresh entry: no body, the cache on, a
 * GET or HEAD it looks up, and a fresh entry under its key (a read-only look: nothing counted). For
 * requests answered at their parsed head (Phase.atHead): anything else may wait or reach the origin.
 */
export function answersAtOnce(ctx: RequestContext, shield: SiteShield): boolean {
  const method = ctx.req.method ?? 'GET';
  if (!shield.config.cache.enabled || (method !== 'GET' && method !== 'HEAD') || hasRequestBody(ctx.req)) return false;
  const header = headerGetter(ctx);
  const cls = classifyCacheRequest({ method, header }, shield.policy);
  if (!cls.lookup) return false;
  return shield.store.peek(cacheKeyOf(ctx, shield, method).key, ctx.startMs, { header, anonymous: cls.anonymous }).state === 'fresh';
}

/** Runs the shield for one request; see the module comment. */
export function runShield(ctx: RequestContext, shield: SiteShield): PhaseResult | Promise<PhaseResult> {
  // Most requests (every cache hit) declare no body: two field reads, not the buffering decision.
  if (hasRequestBody(ctx.req)) {
    const waiting = bodyFirst(ctx, shield);
    if (waiting !== null) return waiting;
  }
  const header = headerGetter(ctx);
  const method = ctx.req.method ?? 'GET';
  if (!shield.config.cache.enabled || (method !== 'GET' && method !== 'HEAD')) return admit(ctx, shield, newCacheState(ctx, header));
  const cls = classifyCacheRequest({ method, header }, shield.policy);
  if (!cls.lookup) {
    ctx.cacheStatus = 'BYPASS';
    shield.counters.bypassed++;
    return admit(ctx, shield, newCacheState(ctx, header));
  }
  // The request's start: the lookup runs at once, and one clock read per request is enough.
  const now = ctx.startMs;
  const k = cacheKeyOf(ctx, shield, method);
  ctx.originPath = k.target;
  const key = k.key;
  if (shield.keyPages.size > 0 && shield.keyPages.has(k.target)) shield.keyPageAuthorities.note(keyAuthority(ctx.secure, ctx.authority));
  const hit = shield.store.lookup(key, now, { header, anonymous: cls.anonymous });
  if (hit.state === 'fresh') {
    shield.counters.hits++;
    ctx.hitEntry = hit.entry;
    ctx.hitKey = key;
    ctx.hitAnonymous = cls.anonymous;
    serveEntry(ctx, hit.entry, 'HIT', now);
    noteServed(ctx, shield, now);
    return DONE;
  }
  // Everything below may go to the origin and needs the cache state (a fresh hit, the common case
  // under a flood, does not allocate it).
  const c = newCacheState(ctx, header);
  c.key = key;
  if (hit.state === 'stale_revalidate') {
    shield.counters.staleServed++;
    serveEntry(ctx, hit.entry, 'STALE', now);
    refreshInBackground(ctx, shield, key, header, shield.keyPages.has(ctx.originPath));
    return DONE;
  }
  if (hit.state === 'stale_if_error_only') {
    // Under attack, cached and stale content is served first: the origin's capacity is kept for what
    // has no copy at all (the responses a threat level imposes).
    if (ctx.level === 'under_attack') {
      shield.counters.staleServed++;
      serveEntry(ctx, hit.entry, 'STALE', now);
      return DONE;
    }
    c.fallback = hit.entry;
  }
  if (method === 'HEAD') return admit(ctx, shield, c); // a HEAD answer has no body to share
  const j = shield.coalescer.join(key, now, now + shield.config.cache.coalesce_wait);
  if (j.role === 'leader') {
    c.leader = true;
    c.flight = j.flight;
    return admit(ctx, shield, c);
  }
  if (j.role === 'refused') return admit(ctx, shield, c);
  if (j.role === 'alone') {
    // The key's answer is lately unshareable: nobody waits for it, but this request may still store
    // what comes back (a leader without a flight; leader-hooks.ts).
    c.leader = true;
    return admit(ctx, shield, c);
  }
  const onClose = () => j.cancel();
  ctx.res.once('close', onClose);
  return j.result.then((r) => {
    ctx.res.off('close', onClose);
    if (ctx.res.destroyed) return DONE;
    if (r.ok && entryMatches(r.value, header, cls.anonymous)) {
      shield.counters.coalescedServed++;
      serveEntry(ctx, r.value, 'HIT', Date.now());
      return DONE;
    }
    return admit(ctx, shield, c);
  });
}
