/**
 * The forward hooks of a request the shield let through to the origin: they account for the admission
 * slot and the balancer pick when the exchange ends, capture a storable response while it streams to
 * the client (bounded by the cache's largest object), hand it to coalesced waiters, and serve stale
 * content instead of an origin error when there is some.
 */
import type { HeaderBag, HeaderGetter } from '../../core/cache/cache-control.ts';
import type { Flight } from '../../core/cache/coalescer.ts';
import { createEntry, entryState, type CacheEntry } from '../../core/cache/entry.ts';
import { storable, type StorableDecision } from '../../core/cache/storable.ts';
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

export function createLeaderHooks(s: LeaderState): ForwardHooks {
  let decision: StorableDecision | null = null;
  let headers: HeaderBag | null = null;
  let status = 0;
  let chunks: Buffer[] | null = null;
  let bytes = 0;
  let flightOpen = s.flight !== null;
  let settled = false;
  let released = false;
  const { shield } = s;

  /**
   * The admission slot is held until the origin has sent the whole response (with response buffering,
   * that is the origin's speed for ordinary pages, not the reader's), so the limit bounds what the
   * origin is really doing; the latency sample is the time to the response head, so a long body or a
   * slow reader never drags the limit down.
   */
  function release(outcome: 'success' | 'dropped' | 'ignored', latencyMs: number, nowMs: number): void {
    if (released) return;
    released = true;
    shield.admission.release(s.client, outcome, latencyMs, nowMs);
  }

  function failFlight(reason: 'leader_failed' | 'not_shareable'): void {
    if (flightOpen && s.flight !== null) shield.coalescer.fail(s.flight, reason);
    flightOpen = false;
  }

  /**
   * A response the cache could not take (a bug: the hooks must never throw into the origin exchange).
   * The answer still reaches the client; the waiters go to the origin; the failure is counted and
   * reported (logged once per site, site-shield.ts).
   */
  function cannotStore(err: unknown): void {
    chunks = null;
    failFlight('not_shareable');
    shield.storeFailed(err);
  }

  return {
    onHead(ctx, st, flat) {
      const now = Date.now();
      if (st >= 500 && st !== 501 && usableOnError(s.fallback, now)) {
        failFlight('leader_failed');
        shield.counters.staleServed++;
        serveEntry(ctx, s.fallback, 'STALE', now);
        return false;
      }
      if (s.key !== null) {
        status = st;
        ctx.cacheStatus = 'MISS';
        shield.counters.misses++;
        try {
          // The origin's fields only: every answer from the cache adds its own request ID and Via.
          headers = bagOf(originResponseHeaders(flat));
          decision = storable({ method: ctx.req.method ?? 'GET', header: s.header }, { status, headers }, shield.policy, now);
          if (decision.storable && ctx.req.method === 'GET') chunks = [];
          else failFlight('not_shareable');
        } catch (err) {
          cannotStore(err);
        }
      }
      return true;
    },
    onData(_ctx, chunk) {
      if (chunks === null) return;
      bytes += chunk.length;
      if (bytes > shield.store.maxObjectBytes) {
        chunks = null;
        failFlight('not_shareable');
      } else chunks.push(chunk);
    },
    onEnd() {
      if (chunks === null || decision === null || headers === null || s.key === null) return;
      try {
        const entry = createEntry(s.key, { status, headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes) }, decision, Date.now(), s.header);
        chunks = null;
        shield.store.put(entry, { pin: s.pin });
        if (flightOpen && s.flight !== null) shield.coalescer.resolve(s.flight, entry);
        flightOpen = false;
      } catch (err) {
        cannotStore(err);
      }
    },
    onFailure(ctx) {
      failFlight('leader_failed');
      const now = Date.now();
      if (!usableOnError(s.fallback, now)) return false;
      shield.counters.staleServed++;
      serveEntry(ctx, s.fallback, 'STALE', now);
      return true;
    },
    onSettled(ctx, result) {
      // Called by the forward handler, and again by the response's close as a backstop (a request
      // whose body framing broke never reaches the origin): release exactly once.
      if (settled) return;
      settled = true;
      failFlight('leader_failed');
      const now = Date.now();
      const dropped =
        (result.kind === 'failed' && result.source === 'origin' && (result.timeout || result.connect)) ||
        (result.kind === 'response' && (result.status === 503 || result.status === 429));
      const latency = ctx.originLatencyMs >= 0 ? ctx.originLatencyMs : 0;
      release(result.kind === 'client_gone' ? 'ignored' : dropped ? 'dropped' : 'success', latency, now);
      shield.balancer.done(s.pick, originResult(result), now);
      if (result.kind === 'response' && result.status < 400) noteServed(ctx, shield, now);
    },
  };
}
