/**
 * GCRA — the generic cell rate algorithm, a token bucket that keeps one number per key: the
 * theoretical arrival time (TAT), the instant at which the key's bucket would be full again.
 *
 * Described with Traefik's words (https://doc.traefik.io/traefik/middlewares/http/ratelimit/):
 * `average` requests per `period` in the long run, and up to `burst` at once. One request costs
 * `T = period / average` ms of TAT; a request of cost `c` is admitted when
 * `max(TAT, now) + c·T − now ≤ burst·T`, and admitting it moves TAT there. A refused request changes
 * nothing, so clients that retry too fast are not punished twice (escalation does that, see
 * escalation.ts).
 *
 * Guarantee (proved in the property test): in any window of length t, at most `average·t/period + burst`
 * cost units are admitted for one key. Fresh keys (TAT ≤ now) have a full bucket: TAT in the past
 * carries no information, which is what lets the tables evict such entries without losing anything.
 */
import { BulwarkError } from '../errors.ts';

/** A limit as an operator writes it (Traefik's words). */
export interface GcraSpec {
  /** Requests admitted per `period` in the long run; > 0. */
  readonly average: number;
  /** Length of the period in ms. Default 1000 (Traefik's default of 1 s). */
  readonly period?: number;
  /** Requests admitted at once from a full bucket; integer ≥ 1. Default 1 (Traefik's default). */
  readonly burst?: number;
}

/** A compiled limit: the spec plus derived constants, computed once at config load. */
export interface GcraLimit {
  readonly average: number;
  readonly period: number;
  readonly burst: number;
  /** Emission interval T = period / average, in ms: the TAT cost of one unit. */
  readonly intervalMs: number;
  /** Burst tolerance burst·T, in ms: how far TAT may run ahead of now. */
  readonly toleranceMs: number;
}

/**
 * Outcome of one check, enough for `Retry-After` (RFC 9110 §10.2.3) and the `RateLimit` /
 * `RateLimit-Policy` fields (draft-ietf-httpapi-ratelimit-headers).
 */
export interface RateLimitResult {
  /** True when the request is within the limit. */
  readonly allowed: boolean;
  /** Whole units still available right now (after this request when it was allowed). */
  readonly remaining: number;
  /** When refused: ms until a request of the same cost would be admitted (≥ 1). 0 when allowed. */
  readonly retryAfterMs: number;
  /** ms until the bucket is full again (the key is back to a fresh state). */
  readonly resetMs: number;
  /** Bucket size: the `burst`. */
  readonly limit: number;
}

/**
 * Slack for floating-point rounding in TAT arithmetic (1 ns). Without it, `burst` requests at the same
 * instant could see the last one refused because `k·T` summed and `burst·T` multiplied differ by an ulp.
 */
export const GCRA_EPSILON_MS = 1e-6;

/** Whole ms for a non-negative duration, ignoring rounding noise below {@link GCRA_EPSILON_MS}. */
function ceilMs(ms: number): number {
  return ms <= GCRA_EPSILON_MS ? 0 : Math.ceil(ms - GCRA_EPSILON_MS);
}

function specError(message: string): BulwarkError {
  return new BulwarkError('BULWARK_ERR_RATELIMIT_SPEC', message, { source: 'config' });
}

/**
 * Validate a spec and derive its constants. Throws `BULWARK_ERR_RATELIMIT_SPEC` for a non-positive or
 * non-finite `average` / `period`, or a `burst` that is not an integer ≥ 1. (Traefik treats
 * `average: 0` as "no limit"; here such a limit should simply not be configured.)
 */
export function compileGcra(spec: GcraSpec): GcraLimit {
  const period = spec.period ?? 1000;
  const burst = spec.burst ?? 1;
  if (!(Number.isFinite(spec.average) && spec.average > 0)) throw specError(`average must be > 0, got ${spec.average}`);
  if (!(Number.isFinite(period) && period > 0)) throw specError(`period must be > 0 ms, got ${period}`);
  if (!(Number.isInteger(burst) && burst >= 1)) throw specError(`burst must be an integer ≥ 1, got ${burst}`);
  const intervalMs = period / spec.average;
  return { average: spec.average, period, burst, intervalMs, toleranceMs: burst * intervalMs };
}

/**
 * Check that a cost can ever be admitted: `0 < cost ≤ burst`. A larger cost would be refused forever
 * with a misleading Retry-After, so it is a configuration error (`BULWARK_ERR_RATELIMIT_COST`).
 */
export function assertCost(limit: GcraLimit, cost: number): void {
  if (!(cost > 0 && cost <= limit.burst)) {
    throw new BulwarkError('BULWARK_ERR_RATELIMIT_COST', `cost must be in (0, burst=${limit.burst}], got ${cost}`, { source: 'config' });
  }
}

/** The TAT after admitting a request of `cost` units: `max(tat, now) + cost·T`. */
export function gcraNextTat(tatMs: number, nowMs: number, limit: GcraLimit, cost: number): number {
  return (tatMs > nowMs ? tatMs : nowMs) + cost * limit.intervalMs;
}

/** True when a request of `cost` would be admitted for a key whose TAT is `tatMs`. */
export function gcraAllows(tatMs: number, nowMs: number, limit: GcraLimit, cost: number): boolean {
  return gcraNextTat(tatMs, nowMs, limit, cost) - nowMs <= limit.toleranceMs + GCRA_EPSILON_MS;
}

/**
 * Decide one request of `cost` units for a key whose TAT is `tatMs`, without changing anything (the
 * caller stores {@link gcraNextTat} when it admits). The figures describe the state after the
 * decision: after consuming when allowed, unchanged when refused.
 */
export function gcraDecide(tatMs: number, nowMs: number, limit: GcraLimit, cost: number): RateLimitResult {
  const base = tatMs > nowMs ? tatMs : nowMs;
  const next = base + cost * limit.intervalMs;
  const T = limit.intervalMs;
  if (next - nowMs <= limit.toleranceMs + GCRA_EPSILON_MS) {
    const left = Math.floor((limit.toleranceMs - (next - nowMs)) / T + GCRA_EPSILON_MS);
    return { allowed: true, remaining: left > 0 ? left : 0, retryAfterMs: 0, resetMs: ceilMs(next - nowMs), limit: limit.burst };
  }
  const left = Math.floor((limit.toleranceMs - (base - nowMs)) / T + GCRA_EPSILON_MS);
  const wait = ceilMs(next - limit.toleranceMs - nowMs);
  return {
    allowed: false,
    remaining: left > 0 ? left : 0,
    retryAfterMs: wait > 1 ? wait : 1,
    resetMs: ceilMs(base - nowMs),
    limit: limit.burst,
  };
}
