/**
 * Request coalescing: concurrent cache misses on one key become one origin request. The
 * first caller becomes the *leader* and forwards; later callers become *waiters* and await the leader's
 * result, each with its own deadline. Bounded: at most `maxKeys` keys in flight and `maxWaitersPerKey`
 * waiters per key; beyond that `join` answers `refused` and the caller decides (forward itself through
 * admission control, or shed).
 *
 * No timers (pure core): deadlines are enforced by {@link Coalescer.expire}, which the edge calls from one
 * periodic sweep (every 25–100 ms is plenty; `nextDeadlineMs` gives the earliest deadline if the edge
 * prefers one re-armed timer). A waiter whose deadline passed gets `{ ok: false, reason: 'timeout' }`.
 * Flights whose leader never reported (a bug or a lost request) are abandoned after `maxFlightMs`.
 *
 * What the leader hands over is generic (`T`); the shield phase passes the {@link CacheEntry} it built,
 * and only for responses that may be shared (`storable`), otherwise it calls `fail(flight,
 * 'not_shareable')`. A waiter must still check the entry against its own request (`entryMatches`:
 * `Vary` values, anonymous-only).
 *
 * Keys whose answer cannot be shared with anyone (`markUnshareable`: an ordinary page that says
 * `no-store`, or gives no freshness without a micro-cache...) are remembered for `unshareableMs`: for
 * them `join` answers `alone` — no flight, nobody waits. Waiting would gain nothing there (the
 * waiters of an unshareable answer go to the origin anyway, after the leader) and costs every
 * concurrent request a wait of one origin round trip: the "hit-for-miss" of HTTP caches such as
 * Varnish. The caller may still store what comes back (a page can become cacheable); `markShareable`
 * forgets the key. At most `maxUnshareable` keys, the oldest mark evicted first (an evicted key is
 * simply coalesced again).
 */

/** Options for {@link createCoalescer}. */
export interface CoalescerOptions {
  /** Keys with a flight in progress at most (default 10 000). */
  readonly maxKeys?: number;
  /** Waiters per key at most (default 1 000). */
  readonly maxWaitersPerKey?: number;
  /** A flight older than this is abandoned by `expire` (default 60 000 ms). */
  readonly maxFlightMs?: number;
  /** How long a key marked unshareable is not coalesced (default 10 000 ms). */
  readonly unshareableMs?: number;
  /** Keys remembered as unshareable at most (default 10 000; the oldest mark is evicted first). */
  readonly maxUnshareable?: number;
}

/** Why a waiter got no result. */
export type CoalesceFailure = 'timeout' | 'leader_failed' | 'not_shareable' | 'abandoned';

/** What a waiter's promise resolves to (it never rejects). */
export type CoalesceResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: CoalesceFailure };

/** The leader's handle: pass it back to `resolve` or `fail` exactly once. */
export interface Flight {
  readonly key: string;
  readonly startedAtMs: number;
}

/** What `join` made of the caller. */
export type JoinResult<T> =
  | { readonly role: 'leader'; readonly flight: Flight }
  | { readonly role: 'waiter'; readonly result: Promise<CoalesceResult<T>>; readonly cancel: () => void }
  /** The key's answer was lately unshareable (`markUnshareable`): go to the origin, no flight, nobody waits. */
  | { readonly role: 'alone' }
  | { readonly role: 'refused'; readonly reason: 'too_many_keys' | 'too_many_waiters' };

/** Counters and fill levels. */
export interface CoalescerStats {
  readonly keys: number;
  readonly maxKeys: number;
  readonly waiters: number;
  readonly leaders: number;
  readonly coalesced: number;
  readonly timeouts: number;
  readonly failed: number;
  readonly refused: number;
  readonly abandoned: number;
  /** Keys remembered as unshareable (not coalesced), against their cap; joins answered `alone`. */
  readonly unshareable: number;
  readonly maxUnshareable: number;
  readonly alone: number;
}

/** See the module comment. */
export interface Coalescer<T> {
  /** Leader if no flight for `key`; else waiter until `deadlineMs`; or refused when a cap is reached. */
  join(key: string, nowMs: number, deadlineMs: number): JoinResult<T>;
  /** The leader's shareable result: every waiter gets it. Returns how many were served (0 if stale flight). */
  resolve(flight: Flight, value: T): number;
  /** The leader failed or its response may not be shared: every waiter gets `{ ok: false, reason }`. */
  fail(flight: Flight, reason?: 'leader_failed' | 'not_shareable'): number;
  /** Times out waiters whose deadline is ≤ `nowMs`, abandons flights older than `maxFlightMs`. */
  expire(nowMs: number): number;
  /**
   * The answer for `key` cannot be shared with anyone for now: joins within `unshareableMs` of `nowMs`
   * answer `alone` (see the module comment). Refreshes an existing mark.
   */
  markUnshareable(key: string, nowMs: number): void;
  /** A shareable answer for `key` came: coalesce it again. */
  markShareable(key: string): void;
  /** Earliest waiter deadline or flight abandonment time (O(keys)), `undefined` when idle. */
  nextDeadlineMs(): number | undefined;
  stats(): CoalescerStats;
}

interface Waiter<T> {
  readonly deadlineMs: number;
  readonly settle: (r: CoalesceResult<T>) => void;
  done: boolean;
}

interface FlightState<T> extends Flight {
  readonly waiters: Waiter<T>[];
  minDeadlineMs: number;
}

function positive(name: string, v: number): number {
  if (!(Number.isInteger(v) && v > 0)) {
    throw Object.assign(new Error(`coalescer option ${name} must be a positive integer, got ${v}`), { code: 'BULWARK_ERR_CACHE_OPTIONS' });
  }
  return v;
}

const ALONE = Object.freeze({ role: 'alone' as const });

/** Creates a coalescer; see {@link CoalescerOptions} for defaults. */
export function createCoalescer<T>(options: CoalescerOptions = {}): Coalescer<T> {
  const maxKeys = positive('maxKeys', options.maxKeys ?? 10_000);
  const maxWaiters = positive('maxWaitersPerKey', options.maxWaitersPerKey ?? 1_000);
  const maxFlightMs = positive('maxFlightMs', options.maxFlightMs ?? 60_000);
  const unshareableMs = positive('unshareableMs', options.unshareableMs ?? 10_000);
  const maxUnshareable = positive('maxUnshareable', options.maxUnshareable ?? 10_000);
  const flights = new Map<string, FlightState<T>>();
  /** Unshareable keys → until when (ms); insertion order is mark order, so the first is the oldest. */
  const unshareable = new Map<string, number>();
  let waiting = 0;
  const c = { leaders: 0, coalesced: 0, timeouts: 0, failed: 0, refused: 0, abandoned: 0, alone: 0 };

  const finish = (w: Waiter<T>, r: CoalesceResult<T>): boolean => {
    if (w.done) return false;
    w.done = true;
    waiting--;
    w.settle(r);
    return true;
  };

  const settleAll = (flight: Flight, r: CoalesceResult<T>): number => {
    const f = flights.get(flight.key);
    if (f !== flight) return 0;
    flights.delete(flight.key);
    let n = 0;
    for (const w of f.waiters) if (finish(w, r)) n++;
    return n;
  };

  return {
    join(key, nowMs, deadlineMs) {
      const f = flights.get(key);
      if (f === undefined) {
        if (unshareable.size > 0) {
          const until = unshareable.get(key);
          if (until !== undefined) {
            if (nowMs < until) {
              c.alone++;
              return ALONE;
            }
            unshareable.delete(key);
          }
        }
        if (flights.size >= maxKeys) {
          c.refused++;
          return { role: 'refused', reason: 'too_many_keys' };
        }
        const flight: FlightState<T> = { key, startedAtMs: nowMs, waiters: [], minDeadlineMs: Infinity };
        flights.set(key, flight);
        c.leaders++;
        return { role: 'leader', flight };
      }
      if (f.waiters.length >= maxWaiters) {
        c.refused++;
        return { role: 'refused', reason: 'too_many_waiters' };
      }
      let settle!: (r: CoalesceResult<T>) => void;
      const result = new Promise<CoalesceResult<T>>((res) => (settle = res));
      const w: Waiter<T> = { deadlineMs, settle, done: false };
      f.waiters.push(w);
      f.minDeadlineMs = Math.min(f.minDeadlineMs, deadlineMs);
      waiting++;
      const cancel = (): void => {
        if (w.done) return;
        w.done = true;
        waiting--;
        const i = f.waiters.indexOf(w);
        if (i >= 0) f.waiters.splice(i, 1);
      };
      return { role: 'waiter', result, cancel };
    },
    resolve(flight, value) {
      const n = settleAll(flight, { ok: true, value });
      c.coalesced += n;
      return n;
    },
    fail(flight, reason = 'leader_failed') {
      const n = settleAll(flight, { ok: false, reason });
      c.failed += n;
      return n;
    },
    markUnshareable(key, nowMs) {
      // A mark less than half its age old is left as it is: a page every request marks again costs one
      // lookup per request, not a map rewrite.
      const until = unshareable.get(key);
      if (until !== undefined && until - nowMs > unshareableMs / 2) return;
      // Re-inserted so that the map's order stays the order of the latest marks (oldest first).
      unshareable.delete(key);
      if (unshareable.size >= maxUnshareable) unshareable.delete(unshareable.keys().next().value!);
      unshareable.set(key, nowMs + unshareableMs);
    },
    markShareable(key) {
      unshareable.delete(key);
    },
    expire(nowMs) {
      // Marks run out in the order they were made (one duration for all): drop the lapsed ones first.
      for (const [key, until] of unshareable) {
        if (until > nowMs) break;
        unshareable.delete(key);
      }
      let n = 0;
      for (const f of flights.values()) {
        if (nowMs - f.startedAtMs >= maxFlightMs) {
          const k = settleAll(f, { ok: false, reason: 'abandoned' });
          c.abandoned += k;
          n += k;
          continue;
        }
        if (f.minDeadlineMs > nowMs) continue;
        let min = Infinity;
        const keep: Waiter<T>[] = [];
        for (const w of f.waiters) {
          if (w.done) continue;
          if (w.deadlineMs <= nowMs) {
            finish(w, { ok: false, reason: 'timeout' });
            c.timeouts++;
            n++;
          } else {
            keep.push(w);
            min = Math.min(min, w.deadlineMs);
          }
        }
        f.waiters.length = 0;
        f.waiters.push(...keep);
        f.minDeadlineMs = min;
      }
      return n;
    },
    nextDeadlineMs() {
      let min = Infinity;
      for (const f of flights.values()) min = Math.min(min, f.minDeadlineMs, f.startedAtMs + maxFlightMs);
      return min === Infinity ? undefined : min;
    },
    stats: () => ({ keys: flights.size, maxKeys, waiters: waiting, unshareable: unshareable.size, maxUnshareable, ...c }),
  };
}
