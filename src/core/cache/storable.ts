/**
 * What a *shared* cache may do with a request and its response (RFC 9111 §3, §4.2, §5.2; RFC 5861):
 * whether the request may be answered from the cache at all ({@link classifyCacheRequest}), and whether
 * the response may be stored, for how long and how long it may then be served stale ({@link storable}).
 *
 * Safety first: Bulwark sits in front of sites with logged-in users, so every doubt resolves to "do not
 * store". One user's page must never be served to another.
 */
import {
  headerValue,
  parseCacheControl,
  parseDeltaSeconds,
  parseHttpDate,
  parseVary,
  type HeaderBag,
  type HeaderGetter,
} from './cache-control.ts';

/** The parts of a client request the cache decisions read. */
export interface CacheRequest {
  /** Upper-case method. */
  readonly method: string;
  /** Request header field by lower-case name. */
  readonly header: HeaderGetter;
}

/** The parts of an origin response the storage decision reads. */
export interface CacheResponse {
  readonly status: number;
  readonly headers: HeaderBag;
}

/**
 * A site's caching policy. Defaults live in the config schema; {@link DEFAULT_SITE_CACHE_POLICY} is a
 * conservative stand-in (no micro-cache, no serving stale) for tests and tools.
 */
export interface SiteCachePolicy {
  /**
   * Opt-in micro-cache: this many ms of freshness (1 000–10 000; 0 = off) for responses to anonymous
   * requests (no `Cookie`, no `Authorization`) that carry no explicit freshness and do not forbid caching.
   * Entries stored this way are only ever served to anonymous requests.
   */
  readonly microTtlMs: number;
  /** Stale-while-revalidate window when the origin gives none (`stale-while-revalidate` wins). */
  readonly staleWhileRevalidateMs: number;
  /** Stale-if-error window when the origin gives none (`stale-if-error` wins). */
  readonly staleIfErrorMs: number;
  /** Cap on any freshness lifetime (memory hygiene; a long `max-age` is cut to this). */
  readonly maxTtlMs: number;
  /** Cap on either stale window. */
  readonly maxStaleMs: number;
  /**
   * Honour a request's `Cache-Control: no-cache` / `max-age=0` by bypassing the cache. Off by default:
   * it is a free cache-busting switch for a flood (CDNs ignore it too).
   */
  readonly honourRequestNoCache: boolean;
}

/** Conservative defaults: no micro-cache, no stale serving, one day caps, request no-cache ignored. */
export const DEFAULT_SITE_CACHE_POLICY: SiteCachePolicy = Object.freeze({
  microTtlMs: 0,
  staleWhileRevalidateMs: 0,
  staleIfErrorMs: 0,
  maxTtlMs: 86_400_000,
  maxStaleMs: 86_400_000,
  honourRequestNoCache: false,
});

/** Micro-cache TTL bounds: an opt-in short TTL of 1–10 s, long enough to absorb a flood on one URL, short enough that visitors never see stale content for long. */
export const MICRO_TTL_MIN_MS = 1_000;
export const MICRO_TTL_MAX_MS = 10_000;

/**
 * Checks a policy; throws `BULWARK_ERR_CACHE_POLICY` naming every problem at once. Returns the policy.
 */
export function validateSiteCachePolicy(policy: SiteCachePolicy): SiteCachePolicy {
  const problems: string[] = [];
  const m = policy.microTtlMs;
  if (m !== 0 && !(m >= MICRO_TTL_MIN_MS && m <= MICRO_TTL_MAX_MS)) {
    problems.push(`microTtlMs must be 0 or ${MICRO_TTL_MIN_MS}..${MICRO_TTL_MAX_MS}, got ${m}`);
  }
  for (const k of ['staleWhileRevalidateMs', 'staleIfErrorMs', 'maxTtlMs', 'maxStaleMs'] as const) {
    if (!(policy[k] >= 0) || !Number.isFinite(policy[k])) problems.push(`${k} must be a finite number >= 0`);
  }
  if (problems.length > 0) {
    throw Object.assign(new Error(`invalid cache policy: ${problems.join('; ')}`), { code: 'BULWARK_ERR_CACHE_POLICY' });
  }
  return policy;
}

/** Why a request may or may not be answered from the cache. */
export type CacheRequestReason = 'cacheable' | 'method' | 'authorization' | 'request_no_cache';

/** See {@link classifyCacheRequest}. */
export interface CacheRequestClass {
  /** May be answered from the cache (and coalesced with other requests for the same key). */
  readonly lookup: boolean;
  /** No `Cookie` and no `Authorization`: may be served micro-cached entries. */
  readonly anonymous: boolean;
  readonly reason: CacheRequestReason;
}

const LOOKUP_GET: CacheRequestClass = Object.freeze({ lookup: true, anonymous: true, reason: 'cacheable' });
const LOOKUP_GET_COOKIE: CacheRequestClass = Object.freeze({ lookup: true, anonymous: false, reason: 'cacheable' });

/**
 * Decides whether a request may be answered from the cache (else the response header says BYPASS):
 * only GET and HEAD; never with `Authorization` (its answer may be personal and RFC 9111 §3.5 limits
 * storing it); a request `no-cache`/`max-age=0` only when the policy honours it. A request with a
 * `Cookie` may be served entries stored with explicit shared freshness, but not micro-cached ones
 * (`anonymous: false`).
 */
export function classifyCacheRequest(request: CacheRequest, policy: SiteCachePolicy): CacheRequestClass {
  const m = request.method;
  if (m !== 'GET' && m !== 'HEAD') return { lookup: false, anonymous: false, reason: 'method' };
  if (request.header('authorization') !== undefined) {
    return { lookup: false, anonymous: false, reason: 'authorization' };
  }
  if (policy.honourRequestNoCache) {
    const cc = parseCacheControl(request.header('cache-control'));
    if (cc.noCache || cc.maxAge === 0) return { lookup: false, anonymous: false, reason: 'request_no_cache' };
  }
  return request.header('cookie') === undefined ? LOOKUP_GET : LOOKUP_GET_COOKIE;
}

/** Why a response was (`explicit`, `micro_ttl`) or was not stored. */
export type StorableReason =
  | 'explicit'
  | 'micro_ttl'
  | 'method'
  | 'request_no_store'
  | 'status'
  | 'no_store'
  | 'private'
  | 'no_cache'
  | 'set_cookie'
  | 'vary_star'
  | 'vary_private'
  | 'vary_too_many'
  | 'authorization'
  | 'cookie'
  | 'no_freshness'
  | 'expired';

/** The storage decision for one response. Durations in ms, counted from the `nowMs` of the decision. */
export interface StorableDecision {
  readonly storable: boolean;
  readonly reason: StorableReason;
  /** Remaining freshness (lifetime minus the `Age` the response arrived with), capped by `maxTtlMs`. */
  readonly ttlMs: number;
  /** After `ttlMs`: may be served stale while one background request refreshes it. */
  readonly staleWhileRevalidateMs: number;
  /** After `ttlMs`: may be served stale when the origin fails (error, timeout, over its limit). */
  readonly staleIfErrorMs: number;
  /** `Age` the response arrived with, for the `Age` we send (RFC 9111 §4.2.3, simplified). */
  readonly initialAgeMs: number;
  /** Lower-case, sorted `Vary` field names (the secondary key). */
  readonly vary: readonly string[];
  /** Stored by the micro-cache: serve only to anonymous requests. */
  readonly anonymousOnly: boolean;
}

/** RFC 9110 §15.1 heuristically cacheable statuses (206 left out: Bulwark does not store ranges). */
export const HEURISTIC_STATUSES: ReadonlySet<number> = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);
/** Statuses stored only with explicit freshness. 5xx other than 501 never: an origin in trouble. */
export const EXPLICIT_ONLY_STATUSES: ReadonlySet<number> = new Set([302, 307]);
/** A response varying on more request fields than this is not stored (variant explosion). */
export const MAX_VARY_FIELDS = 4;
const PRIVATE_VARY = new Set(['cookie', 'authorization']);

function refuse(reason: StorableReason): StorableDecision {
  return { storable: false, reason, ttlMs: 0, staleWhileRevalidateMs: 0, staleIfErrorMs: 0, initialAgeMs: 0, vary: [], anonymousOnly: false };
}

/**
 * Decides whether a shared cache may store `response` to `request`, for how long it is fresh and how
 * long it may be served stale. Rules, in order (first refusal wins):
 * - only GET responses are stored (a HEAD response has no body; HEAD is answered from stored GETs);
 * - not when the request said `no-store` (RFC 9111 §5.2.1.5);
 * - statuses: {@link HEURISTIC_STATUSES}, plus {@link EXPLICIT_ONLY_STATUSES} with explicit freshness;
 * - never `no-store`, `private` or `no-cache` (any form), never a response with `Set-Cookie` (even
 *   `public, s-maxage`: a session cookie in a shared cache is the classic leak — we never take the risk);
 * - never `Vary: *`, nor `Vary` on `Cookie`/`Authorization` (no per-user copies), nor on more than
 *   {@link MAX_VARY_FIELDS} fields;
 * - a request with `Authorization` or `Cookie`: only with `public` or `s-maxage` (RFC 9111 §3.5 for
 *   Authorization; for Cookie stricter than the RFC, because origins often send `max-age` on personal
 *   pages meaning "the browser may cache");
 * - freshness: `s-maxage` > `max-age` > `Expires` − `Date` (RFC 9111 §4.2.1), minus `Age`; without
 *   any, the policy's micro-TTL for anonymous requests, else not stored;
 * - stale windows: the origin's `stale-while-revalidate` / `stale-if-error`, else the policy's; both 0
 *   under `must-revalidate` / `proxy-revalidate` (RFC 9111 §5.2.2.2, §5.2.2.8). Deviation: the
 *   `proxy-revalidate` implied by `s-maxage` (§5.2.2.10) does not cancel the operator's windows — the
 *   shield is the site's own gateway and serving stale when the origin is down is its purpose;
 * - stored only if something remains usable (`ttlMs` or a stale window > 0).
 */
export function storable(
  request: CacheRequest,
  response: CacheResponse,
  policy: SiteCachePolicy,
  nowMs: number,
): StorableDecision {
  if (request.method !== 'GET') return refuse('method');
  const status = response.status;
  const heuristic = HEURISTIC_STATUSES.has(status);
  if (!heuristic && !EXPLICIT_ONLY_STATUSES.has(status)) return refuse('status');
  const reqCc = request.header('cache-control');
  if (reqCc !== undefined && parseCacheControl(reqCc).noStore) return refuse('request_no_store');
  const h = response.headers;
  const cc = parseCacheControl(headerValue(h, 'cache-control'));
  if (cc.noStore) return refuse('no_store');
  if (cc.private) return refuse('private');
  if (cc.noCache) return refuse('no_cache');
  if (h['set-cookie'] !== undefined) return refuse('set_cookie');
  const vary = parseVary(headerValue(h, 'vary'));
  if (vary === '*') return refuse('vary_star');
  if (vary.some((v) => PRIVATE_VARY.has(v))) return refuse('vary_private');
  if (vary.length > MAX_VARY_FIELDS) return refuse('vary_too_many');
  const sharedIntent = cc.public || cc.sMaxAge !== undefined;
  if (request.header('authorization') !== undefined && !sharedIntent) return refuse('authorization');
  const hasCookie = request.header('cookie') !== undefined;
  if (hasCookie && !sharedIntent) return refuse('cookie');

  const lifetimeMs = explicitLifetimeMs(cc.sMaxAge, cc.maxAge, h, nowMs);
  let ttlMs: number;
  let anonymousOnly = false;
  let initialAgeMs = 0;
  if (lifetimeMs !== undefined) {
    initialAgeMs = (parseDeltaSeconds(headerValue(h, 'age')) ?? 0) * 1000;
    ttlMs = Math.min(Math.max(0, lifetimeMs - initialAgeMs), policy.maxTtlMs);
  } else if (policy.microTtlMs > 0 && heuristic && !hasCookie) {
    ttlMs = policy.microTtlMs;
    anonymousOnly = true;
  } else {
    return refuse('no_freshness');
  }
  const revalidate = cc.mustRevalidate || cc.proxyRevalidate;
  const swr = revalidate ? 0 : windowMs(cc.staleWhileRevalidate, policy.staleWhileRevalidateMs, policy.maxStaleMs);
  const sie = revalidate ? 0 : windowMs(cc.staleIfError, policy.staleIfErrorMs, policy.maxStaleMs);
  if (ttlMs <= 0 && swr <= 0 && sie <= 0) return refuse('expired');
  return {
    storable: true,
    reason: anonymousOnly ? 'micro_ttl' : 'explicit',
    ttlMs,
    staleWhileRevalidateMs: swr,
    staleIfErrorMs: sie,
    initialAgeMs,
    vary,
    anonymousOnly,
  };
}

/**
 * Whether {@link storable} refuses every response to `request` with `status` that carries neither
 * `Cache-Control` nor `Expires` — true unless the policy's micro-cache could take it (a heuristically
 * cacheable status, an anonymous request, `microTtlMs` on). Without those fields a response has no
 * explicit freshness (RFC 9111 §4.2.1), so the micro-cache is its only way into the cache. Lets the
 * forwarder skip building the decision for the common uncacheable answer; when false, ask `storable`.
 */
export function refusedWithoutFreshness(request: CacheRequest, status: number, policy: SiteCachePolicy): boolean {
  return !(policy.microTtlMs > 0 && request.method === 'GET' && HEURISTIC_STATUSES.has(status) && request.header('cookie') === undefined);
}

/** Refusals that come from the response alone: no other request for the page would be answered otherwise. */
const RESPONSE_REFUSALS: ReadonlySet<StorableReason> = new Set<StorableReason>(['no_store', 'private', 'no_cache', 'set_cookie', 'vary_star', 'vary_private', 'vary_too_many', 'no_freshness']);

/**
 * Whether a refusal of `storable` says the page's answer cannot be shared with anyone for now, so
 * concurrent requests for it gain nothing by waiting for one another (the coalescer's unshareable
 * keys). True only for an ordinary answer (a heuristically cacheable status: never a 5xx of an origin
 * in trouble, a 304 or a range) refused for a reason of the response alone — not for the request's
 * `Cookie` or `Authorization`, nor `no_freshness` when a micro-cache could store the page for an
 * anonymous request.
 */
export function refusedForEveryone(reason: StorableReason, status: number, policy: SiteCachePolicy): boolean {
  if (!HEURISTIC_STATUSES.has(status) || !RESPONSE_REFUSALS.has(reason)) return false;
  return reason !== 'no_freshness' || policy.microTtlMs === 0;
}

function windowMs(originS: number | undefined, policyMs: number, capMs: number): number {
  return Math.min(originS !== undefined ? originS * 1000 : policyMs, capMs);
}

/** Explicit freshness lifetime in ms (RFC 9111 §4.2.1), `undefined` when the origin gave none. */
function explicitLifetimeMs(
  sMaxAge: number | undefined,
  maxAge: number | undefined,
  h: HeaderBag,
  nowMs: number,
): number | undefined {
  if (sMaxAge !== undefined) return sMaxAge * 1000;
  if (maxAge !== undefined) return maxAge * 1000;
  const expiresRaw = headerValue(h, 'expires');
  if (expiresRaw === undefined) return undefined;
  const expires = parseHttpDate(expiresRaw);
  if (expires === undefined) return 0; // RFC 9111 §5.3: invalid (e.g. "0") means already expired
  const date = parseHttpDate(headerValue(h, 'date')) ?? nowMs;
  return Math.max(0, expires - date);
}
