/**
 * Choosing an origin when a site has several: round robin or least-pending, skipping origins
 * that active checks say are down ({@link HealthState}), that passive health has ejected, or whose
 * {@link CircuitBreaker} is open; failover to the next candidate when a request could not connect.
 *
 * Passive health (Envoy's outlier detection): `passiveFailures` consecutive failed results (5xx,
 * connect error, timeout) eject an origin for `ejectMs`, doubled at each new ejection up to
 * `maxEjectMs`; the ejection count resets after as many consecutive successes. As Envoy's
 * `max_ejection_percent`, at most `maxEjectedShare` of a site's origins are ejected at once (rounded
 * down: a site with one origin never has it ejected, two may lose one), and never the last usable one.
 * When every origin is excluded `pick` returns `undefined`: serve stale or 503.
 *
 * Overload is not failure: an origin answering 503 or 429 is alive and at capacity. Such an `overloaded`
 * result never counts toward ejection or the breaker (a half-open probe answered so counts as alive);
 * the admission limit learns from it (the shield passes it on as congestion), and the origin gets less
 * work, not none: for `overloadBackoffMs` the other origins are picked first, and it is still picked when
 * they are all overloaded or out.
 *
 * Every `pick` must be followed by exactly one `done` with the same pick (pending counts and half-open
 * probes depend on it). Pure: time is `nowMs`.
 */
import { createCircuitBreaker, type BreakerState, type CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.ts';
import { createHealthState, type HealthOptions, type HealthState, type HealthStatus } from './health.ts';

/** How the next origin is chosen. */
export type BalanceStrategy = 'round_robin' | 'least_pending';

/** Options (defaults in brackets). */
export interface BalancerOptions {
  /** Origin ids, in configuration order (at least one). */
  readonly origins: readonly string[];
  /** ['round_robin'] */
  readonly strategy?: BalanceStrategy;
  readonly breaker?: CircuitBreakerOptions;
  readonly health?: HealthOptions;
  /** Consecutive failed results that eject an origin [5]. */
  readonly passiveFailures?: number;
  /** First ejection [10 000 ms]. */
  readonly ejectMs?: number;
  /** Longest ejection [120 000 ms]. */
  readonly maxEjectMs?: number;
  /** Share of the origins that may be ejected at once, rounded down [0.5]. */
  readonly maxEjectedShare?: number;
  /** After an overload answer, prefer the other origins this long [1 000 ms]. */
  readonly overloadBackoffMs?: number;
}

/** A chosen origin; hand it back to `done`. */
export interface Pick {
  readonly id: string;
  readonly index: number;
  /** `probe` when the origin's breaker is half-open and this request tests it. */
  readonly pass: 'allow' | 'probe';
}

/** What happened to a request sent to an origin. `overloaded`: it answered 503 or 429 (alive, at capacity). */
export type OriginResult = 'success' | 'overloaded' | 'http_5xx' | 'connect_error' | 'timeout' | 'ignored';

/** Observable state of one origin. */
export interface OriginStats {
  readonly id: string;
  readonly pending: number;
  readonly health: HealthStatus;
  readonly breaker: BreakerState;
  /** End of the current passive ejection (`NaN` when not ejected). */
  readonly ejectedUntilMs: number;
  readonly ejections: number;
  readonly picks: number;
  readonly failures: number;
  readonly overloads: number;
  /** Ejections passive health wanted but the share cap (or the last usable origin) prevented. */
  readonly ejectionsPrevented: number;
}

/** See the module comment. */
export interface Balancer {
  /** The next origin to use, excluding `exclude` (ids already tried); `undefined` when none is usable. */
  pick(nowMs: number, exclude?: ReadonlySet<string>): Pick | undefined;
  /** Records the result of a picked request. */
  done(pick: Pick, result: OriginResult, nowMs: number): void;
  /**
   * Records `failed` as a connect error and picks another origin not in `tried`. Only for requests that
   * may be sent twice: idempotent ones (RFC 9110 §9.2.2), or any whose connection never opened.
   */
  failover(failed: Pick, nowMs: number, tried?: ReadonlySet<string>): Pick | undefined;
  /** Records an active health-check result for origin `id`. */
  reportCheck(id: string, ok: boolean, nowMs: number): HealthStatus | undefined;
  stats(nowMs: number): readonly OriginStats[];
}

interface Origin {
  readonly id: string;
  readonly index: number;
  readonly breaker: CircuitBreaker;
  readonly health: HealthState;
  pending: number;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  ejectedUntil: number;
  ejections: number;
  picks: number;
  failures: number;
  overloads: number;
  overloadedUntil: number;
  ejectionsPrevented: number;
}

/** Creates a balancer; throws `BULWARK_ERR_SHIELD_OPTIONS` without origins or with duplicate ids. */
export function createBalancer(options: BalancerOptions): Balancer {
  const ids = options.origins;
  if (ids.length === 0 || new Set(ids).size !== ids.length) {
    throw Object.assign(new Error('balancer needs at least one origin and unique origin ids'), { code: 'BULWARK_ERR_SHIELD_OPTIONS' });
  }
  const strategy = options.strategy ?? 'round_robin';
  const passiveFailures = Math.max(1, options.passiveFailures ?? 5);
  const ejectMs = options.ejectMs ?? 10_000;
  const maxEjectMs = Math.max(ejectMs, options.maxEjectMs ?? 120_000);
  const maxEjected = Math.floor(Math.min(1, Math.max(0, options.maxEjectedShare ?? 0.5)) * ids.length);
  const overloadBackoffMs = options.overloadBackoffMs ?? 1_000;
  const origins: Origin[] = ids.map((id, index) => ({
    id,
    index,
    breaker: createCircuitBreaker(options.breaker),
    health: createHealthState(options.health),
    pending: 0,
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    ejectedUntil: Number.NaN,
    ejections: 0,
    picks: 0,
    failures: 0,
    overloads: 0,
    overloadedUntil: Number.NaN,
    ejectionsPrevented: 0,
  }));
  const byId = new Map(origins.map((o) => [o.id, o]));
  let cursor = 0;

  const usable = (o: Origin, nowMs: number, exclude?: ReadonlySet<string>): boolean =>
    o.health.isUp() && !(nowMs < o.ejectedUntil) && !(exclude !== undefined && exclude.has(o.id));

  const take = (o: Origin, nowMs: number): Pick | undefined => {
    const pass = o.breaker.tryPass(nowMs);
    if (pass === 'deny') return undefined;
    o.pending++;
    o.picks++;
    return { id: o.id, index: o.index, pass };
  };

  const overloaded = (o: Origin, nowMs: number): boolean => nowMs < o.overloadedUntil;

  const pick = (nowMs: number, exclude?: ReadonlySet<string>): Pick | undefined => {
    const n = origins.length;
    const start = cursor;
    if (strategy === 'round_robin') {
      // First the origins not recently overloaded, then (less work, not none) the overloaded ones.
      for (let pass = 0; pass < 2; pass++) {
        for (let k = 0; k < n; k++) {
          const o = origins[(start + k) % n];
          if (!usable(o, nowMs, exclude) || overloaded(o, nowMs) !== (pass === 1)) continue;
          const p = take(o, nowMs);
          if (p === undefined) continue;
          cursor = (o.index + 1) % n; // the next pick starts after this one: a skipped origin's share is spread
          return p;
        }
      }
      return undefined;
    }
    cursor = (cursor + 1) % n;
    // least_pending: fewest pending first (overloaded ones last); ties broken by rotation so equal
    // origins share the load.
    const candidates: Origin[] = [];
    for (let k = 0; k < n; k++) {
      const o = origins[(start + k) % n];
      if (usable(o, nowMs, exclude)) candidates.push(o);
    }
    candidates.sort((a, b) => Number(overloaded(a, nowMs)) - Number(overloaded(b, nowMs)) || a.pending - b.pending);
    for (const o of candidates) {
      const p = take(o, nowMs);
      if (p !== undefined) return p;
    }
    return undefined;
  };

  /** May `o` be ejected now: under the share cap, and some other origin still usable. */
  const mayEject = (o: Origin, nowMs: number): boolean => {
    let ejected = 0;
    let othersUsable = false;
    for (const x of origins) {
      if (nowMs < x.ejectedUntil) ejected++;
      else if (x !== o && x.health.isUp() && x.breaker.state(nowMs) !== 'open') othersUsable = true;
    }
    return ejected + 1 <= maxEjected && othersUsable;
  };

  const done = (p: Pick, result: OriginResult, nowMs: number): void => {
    const o = origins[p.index];
    o.pending = Math.max(0, o.pending - 1);
    if (result === 'overloaded') {
      // Alive and at capacity: not a failure for the breaker (a probe so answered shows it is back).
      o.breaker.record(p.pass === 'probe' ? 'success' : 'ignored', p.pass, nowMs);
      o.overloads++;
      o.overloadedUntil = nowMs + overloadBackoffMs;
      return;
    }
    o.breaker.record(result === 'success' ? 'success' : result === 'ignored' ? 'ignored' : 'failure', p.pass, nowMs);
    if (result === 'ignored') return;
    if (result === 'success') {
      o.consecutiveFailures = 0;
      if (++o.consecutiveSuccesses >= passiveFailures) o.ejections = 0;
      return;
    }
    o.failures++;
    o.consecutiveSuccesses = 0;
    if (++o.consecutiveFailures >= passiveFailures && !(nowMs < o.ejectedUntil)) {
      if (!mayEject(o, nowMs)) {
        o.ejectionsPrevented++;
        return;
      }
      o.ejectedUntil = nowMs + Math.min(maxEjectMs, ejectMs * 2 ** o.ejections);
      o.ejections++;
      o.consecutiveFailures = 0;
    }
  };

  return {
    pick,
    done,
    failover(failed, nowMs, tried) {
      done(failed, 'connect_error', nowMs);
      const exclude = new Set(tried ?? []);
      exclude.add(failed.id);
      return pick(nowMs, exclude);
    },
    reportCheck(id, ok, nowMs) {
      return byId.get(id)?.health.report(ok, nowMs);
    },
    stats: (nowMs) =>
      origins.map((o) => ({
        id: o.id,
        pending: o.pending,
        health: o.health.stats().status,
        breaker: o.breaker.state(nowMs),
        ejectedUntilMs: nowMs < o.ejectedUntil ? o.ejectedUntil : Number.NaN,
        ejections: o.ejections,
        picks: o.picks,
        failures: o.failures,
        overloads: o.overloads,
        ejectionsPrevented: o.ejectionsPrevented,
      })),
  };
}
