/**
 * The replay set: remembers the nonce of every accepted solution so that each challenge is answered once.
 *
 * Why it cannot be flushed to enable a replay. A nonce only needs remembering while its token can still
 * be verified, i.e. until `issuedAt + horizon` (the horizon is the longest token lifetime; older tokens are
 * refused as `too_old` whatever their claimed lifetime). Nonces are kept in buckets by the *issue time* of
 * their token (a signed value, so an attacker cannot choose it), one bucket per `horizon / buckets` window.
 * Buckets whose whole window lies beyond the horizon are dropped: their tokens are expired anyway.
 *
 * The set has a fixed capacity. When it is full, the bucket with the oldest window is evicted *and a
 * watermark is raised to the end of that window*: every token issued at or before the watermark is refused
 * from then on (`too_old`). So evicting never re-opens a nonce — flooding the set with solved challenges
 * only shortens the effective lifetime of old challenges (visitors holding one get a fresh challenge). If
 * the oldest non-empty bucket is the very window being inserted into, nothing can be evicted safely and
 * the solution is refused (`full`): under a flood that fills the set inside one window, new solutions fail
 * closed until the window moves on. Fill, evictions and refusals are observable through `stats()`.
 *
 * Memory: about 100 bytes per remembered nonce (a 16-character string in a Set), so the default 100 000
 * costs ~10 MB. Per process: with several Bulwark nodes a solution could be accepted once per node until
 * the set is shared (a shared store such as Redis).
 */

import { MAX_CLOCK_SKEW_MS } from './tokens.ts';

/** Options of {@link createReplaySet}. */
export interface ReplaySetOptions {
  /** Most nonces remembered at once (default 100 000). */
  readonly capacity?: number;
  /** The longest token lifetime in ms: older tokens are refused (default 300 000, the default token lifetime). */
  readonly horizonMs?: number;
  /** Buckets per horizon (default 10): the granularity of expiry and of eviction. */
  readonly buckets?: number;
}

/** The outcome of {@link ReplaySet.admit}. */
export type ReplayVerdict = 'admitted' | 'replayed' | 'too_old' | 'too_new' | 'full';

/** Fill and history of a replay set. */
export interface ReplaySetStats {
  readonly size: number;
  readonly capacity: number;
  /** size / capacity, 0..1. */
  readonly fill: number;
  /** Tokens issued at or before this time are refused because their bucket was evicted early (0: never). */
  readonly watermarkMs: number;
  /** Buckets evicted before their time because the set was full. */
  readonly evictions: number;
  /** Solutions refused because the set was full within one window. */
  readonly refusedFull: number;
  readonly admitted: number;
  readonly replayed: number;
}

/** A bounded, flush-proof set of accepted solution nonces. */
export interface ReplaySet {
  /** Tokens older than this (ms since issue) are refused: it must be ≥ the longest token lifetime. */
  readonly horizonMs: number;
  /**
   * Records `nonce` (from a verified token issued at `issuedAtMs`) as used. `admitted` the first time;
   * `replayed` if already recorded; `too_old` if the token is beyond the horizon or the watermark;
   * `too_new` if issued further in the future than the allowed clock skew; `full` as described above.
   */
  admit(nonce: string, issuedAtMs: number, nowMs: number): ReplayVerdict;
  /** Whether `nonce` is currently recorded (for tests and diagnostics). */
  has(nonce: string, issuedAtMs: number): boolean;
  stats(): ReplaySetStats;
}

interface Bucket {
  window: number;
  readonly nonces: Set<string>;
}

/** Creates a replay set. Throws a RangeError on nonsensical options. */
export function createReplaySet(options: ReplaySetOptions = {}): ReplaySet {
  const capacity = options.capacity ?? 100_000;
  const horizonMs = options.horizonMs ?? 300_000;
  const perHorizon = options.buckets ?? 10;
  if (!(capacity >= 1 && horizonMs >= 1000 && perHorizon >= 1 && perHorizon <= 1000)) throw new RangeError('replay set: bad options');
  const windowMs = Math.ceil(horizonMs / perHorizon);
  // Live windows span (now - horizon, now + skew]: size the ring so that two live windows never share a slot.
  const slots = Math.ceil((horizonMs + MAX_CLOCK_SKEW_MS) / windowMs) + 2;
  const ring: Bucket[] = Array.from({ length: slots }, () => ({ window: -1, nonces: new Set<string>() }));
  let size = 0;
  let watermarkMs = 0;
  let evictions = 0;
  let refusedFull = 0;
  let admitted = 0;
  let replayed = 0;

  const slotOf = (window: number): Bucket => ring[window % slots];

  function clear(bucket: Bucket): void {
    size -= bucket.nonces.size;
    bucket.nonces.clear();
    bucket.window = -1;
  }

  /** Drops every bucket whose window ended before the horizon. */
  function sweep(nowMs: number): void {
    const oldestLive = Math.floor((nowMs - horizonMs) / windowMs);
    for (const bucket of ring) if (bucket.window >= 0 && bucket.window < oldestLive) clear(bucket);
  }

  /** Evicts the oldest non-empty bucket unless it is `window` itself. */
  function evictOldest(window: number): boolean {
    let oldest: Bucket | undefined;
    for (const bucket of ring) {
      if (bucket.window >= 0 && bucket.nonces.size > 0 && (oldest === undefined || bucket.window < oldest.window)) oldest = bucket;
    }
    if (oldest === undefined || oldest.window >= window) return false;
    watermarkMs = Math.max(watermarkMs, (oldest.window + 1) * windowMs - 1);
    clear(oldest);
    evictions++;
    return true;
  }

  return {
    horizonMs,
    admit(nonce, issuedAtMs, nowMs) {
      if (issuedAtMs <= watermarkMs || issuedAtMs + horizonMs <= nowMs) return 'too_old';
      if (issuedAtMs > nowMs + MAX_CLOCK_SKEW_MS) return 'too_new';
      sweep(nowMs);
      const window = Math.floor(issuedAtMs / windowMs);
      const bucket = slotOf(window);
      if (bucket.window !== window) clear(bucket);
      if (bucket.nonces.has(nonce)) {
        replayed++;
        return 'replayed';
      }
      while (size >= capacity) {
        if (!evictOldest(window)) {
          refusedFull++;
          return 'full';
        }
      }
      bucket.window = window;
      bucket.nonces.add(nonce);
      size++;
      admitted++;
      return 'admitted';
    },
    has(nonce, issuedAtMs) {
      const window = Math.floor(issuedAtMs / windowMs);
      const bucket = slotOf(window);
      return bucket.window === window && bucket.nonces.has(nonce);
    },
    stats() {
      return { size, capacity, fill: size / capacity, watermarkMs, evictions, refusedFull, admitted, replayed };
    },
  };
}
