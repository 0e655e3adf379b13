/**
 * Cache entries: one stored origin response with its freshness and stale windows, built from a
 * {@link StorableDecision}. Pure helpers for the states an entry goes through and for matching an entry
 * against a request (Vary, anonymous-only).
 */
import { headerValue, type HeaderBag, type HeaderGetter } from './cache-control.ts';
import { variantKey } from './cache-key.ts';
import type { StorableDecision } from './storable.ts';

/** Stored headers: filtered (no hop-by-hop, no `Set-Cookie`, no `Age`), lower-case names. */
export type StoredHeaders = Readonly<Record<string, string | readonly string[]>>;

/** One stored response. Times are ms since the epoch; durations ms. Never mutated once created. */
export interface CacheEntry {
  /** Primary key (from the site's keyer). */
  readonly key: string;
  /** Secondary key: {@link variantKey} of the request that produced it (`''` without `Vary`). */
  readonly variant: string;
  readonly status: number;
  readonly headers: StoredHeaders;
  readonly body: Buffer;
  readonly storedAtMs: number;
  readonly ttlMs: number;
  readonly swrMs: number;
  readonly sieMs: number;
  /** `Age` the response arrived with. */
  readonly initialAgeMs: number;
  /** Lower-case sorted `Vary` names. */
  readonly vary: readonly string[];
  /** Micro-cached: serve only to anonymous requests. */
  readonly anonymousOnly: boolean;
  /** Bytes accounted against the store's budget (body, headers, key, fixed overhead). */
  readonly bytes: number;
  /** `storedAtMs + ttlMs`. */
  readonly freshUntilMs: number;
  /** End of the stale-while-revalidate window. */
  readonly swrUntilMs: number;
  /** End of the stale-if-error window. */
  readonly sieUntilMs: number;
}

/** A response body and head as the edge collected it. */
export interface CollectedResponse {
  readonly status: number;
  readonly headers: HeaderBag;
  readonly body: Buffer;
}

/** Where an entry stands at a given time. */
export type EntryState = 'fresh' | 'stale_revalidate' | 'stale_if_error_only' | 'expired';

/** Fixed per-entry overhead counted against the byte budget (objects, map slots). */
export const ENTRY_OVERHEAD_BYTES = 256;

/**
 * Header fields never stored: hop-by-hop ones (RFC 9110 §7.6.1), `Set-Cookie` (defence in depth: such
 * responses are not storable anyway), `Age` (recomputed on every hit).
 */
export const UNSTORED_HEADERS: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authenticate', 'proxy-authorization', 'set-cookie', 'age',
]);

/**
 * Builds an entry from a collected response and its storage decision. The request is needed for the
 * secondary key. `content-length` is set from the body (except 204/304). Does not check
 * `decision.storable`: the caller only builds entries for storable responses.
 */
export function createEntry(
  key: string,
  response: CollectedResponse,
  decision: StorableDecision,
  nowMs: number,
  requestHeader: HeaderGetter,
): CacheEntry {
  // Frozen: one entry is served to many requests; add `Age` / `X-Cache` to a copy.
  const headers = Object.freeze(filterHeaders(response.headers, response.status, response.body.length));
  const variant = variantKey(decision.vary, requestHeader);
  let bytes = ENTRY_OVERHEAD_BYTES + response.body.length + key.length + variant.length;
  for (const name in headers) {
    const v = headers[name];
    bytes += name.length + (typeof v === 'string' ? v.length : v.reduce((n, s) => n + s.length, 0));
  }
  const freshUntilMs = nowMs + decision.ttlMs;
  return {
    key,
    variant,
    status: response.status,
    headers,
    body: response.body,
    storedAtMs: nowMs,
    ttlMs: decision.ttlMs,
    swrMs: decision.staleWhileRevalidateMs,
    sieMs: decision.staleIfErrorMs,
    initialAgeMs: decision.initialAgeMs,
    vary: decision.vary,
    anonymousOnly: decision.anonymousOnly,
    bytes,
    freshUntilMs,
    swrUntilMs: freshUntilMs + decision.staleWhileRevalidateMs,
    sieUntilMs: freshUntilMs + decision.staleIfErrorMs,
  };
}

/** Copies the storable header fields; also drops those named in `Connection` (RFC 9110 §7.6.1). */
export function filterHeaders(h: HeaderBag, status: number, bodyLength: number): Record<string, string | readonly string[]> {
  // No prototype: field names come from the origin (`__proto__` is a name like any other here).
  const out: Record<string, string | readonly string[]> = Object.create(null) as Record<string, string | readonly string[]>;
  const conn = headerValue(h, 'connection');
  const listed = conn === undefined ? undefined : new Set(String(conn).toLowerCase().split(',').map((s) => s.trim()));
  for (const name of Object.keys(h)) {
    const v = h[name];
    if (v === undefined || UNSTORED_HEADERS.has(name) || listed?.has(name)) continue;
    out[name] = typeof v === 'string' ? v : v.slice();
  }
  if (status !== 204 && status !== 304) out['content-length'] = String(bodyLength);
  else delete out['content-length'];
  return out;
}

/**
 * The state of `entry` at `nowMs`: `fresh` before `freshUntilMs`; then `stale_revalidate` inside the
 * stale-while-revalidate window (serve it, refresh in the background); else `stale_if_error_only` inside
 * the stale-if-error window (forward; serve it only if the origin fails); else `expired`.
 */
export function entryState(entry: CacheEntry, nowMs: number): EntryState {
  if (nowMs < entry.freshUntilMs) return 'fresh';
  if (nowMs < entry.swrUntilMs) return 'stale_revalidate';
  if (nowMs < entry.sieUntilMs) return 'stale_if_error_only';
  return 'expired';
}

/**
 * Whether `entry` may answer a request: the request's values for the `Vary` fields equal the stored
 * ones, and a micro-cached entry only answers anonymous requests. Use it on a coalesced leader's entry
 * before serving it to a waiter.
 */
export function entryMatches(entry: CacheEntry, requestHeader: HeaderGetter, anonymous: boolean): boolean {
  if (entry.anonymousOnly && !anonymous) return false;
  return entry.vary.length === 0 || variantKey(entry.vary, requestHeader) === entry.variant;
}

/** The `Age` to send with `entry` at `nowMs`, in whole seconds (RFC 9111 §5.1). */
export function ageSeconds(entry: CacheEntry, nowMs: number): number {
  return Math.max(0, Math.floor((entry.initialAgeMs + nowMs - entry.storedAtMs) / 1000));
}
