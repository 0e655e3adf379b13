/**
 * Layout of the per-second counters of window-aggregates.ts and their summation into `Totals`.
 */
import { OUTCOMES, type Outcome } from '../vocabulary.ts';
import { LOG_BUCKETS, logPercentile } from './log-histogram.ts';

/** Counter offsets inside one second's bucket. */
export const C = {
  requests: 0,
  cleared: 1,
  uncleared: 2,
  clearedServed: 3,
  originResponses: 4,
  originErrors: 5,
  cacheHits: 6,
  cacheMisses: 7,
  cacheStale: 8,
  cacheBypass: 9,
  challengesIssued: 10,
  challengesSolved: 11,
  challengesFailed: 12,
  bytesIn: 13,
  bytesOut: 14,
  queueMax: 15,
  outcome0: 16,
} as const;

/** Counters per second bucket. */
export const COUNTERS = C.outcome0 + OUTCOMES.length;

/** Sums over a range of complete seconds, as the detector reads them. */
export interface Totals {
  /** Seconds covered (the sums are over this many seconds; divide for per-second rates). */
  readonly seconds: number;
  /** All requests, whatever their outcome (the arrival rate, mitigated or not). */
  readonly requests: number;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  readonly cleared: number;
  readonly uncleared: number;
  /** Cleared requests answered from the origin or the cache with a status < 500. */
  readonly clearedServed: number;
  /** Requests the origin answered or failed (`forwarded` + `failed`). */
  readonly originResponses: number;
  /** `failed` plus forwarded answers with status ≥ 500. */
  readonly originErrors: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly cacheStale: number;
  readonly cacheBypass: number;
  readonly challengesIssued: number;
  readonly challengesSolved: number;
  readonly challengesFailed: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Largest origin queue length observed (a max, not a sum). */
  readonly queueMax: number;
  /** Origin latency samples and percentiles (bucket upper bounds, within +19%); null when none. */
  readonly latencyCount: number;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
}

/** An all-zero Totals over `seconds` seconds (tests and synthetic series build on it). */
export function emptyTotals(seconds = 1): Totals {
  const outcomes = {} as Record<Outcome, number>;
  for (const o of OUTCOMES) outcomes[o] = 0;
  return {
    seconds, requests: 0, outcomes, cleared: 0, uncleared: 0, clearedServed: 0, originResponses: 0, originErrors: 0,
    cacheHits: 0, cacheMisses: 0, cacheStale: 0, cacheBypass: 0, challengesIssued: 0, challengesSolved: 0,
    challengesFailed: 0, bytesIn: 0, bytesOut: 0, queueMax: 0, latencyCount: 0, latencyP50Ms: null, latencyP99Ms: null,
  };
}

/** Sums the ring buckets tagged with seconds from..to (inclusive) into Totals. */
export function totalsOf(
  counters: Float64Array,
  latency: Uint32Array,
  tags: Float64Array,
  slots: number,
  from: number,
  to: number,
): Totals {
  const sum = new Float64Array(COUNTERS);
  const hist = new Float64Array(LOG_BUCKETS);
  for (let s = from; s <= to; s++) {
    const slot = s % slots;
    if (s < 0 || tags[slot] !== s) continue;
    const o = slot * COUNTERS;
    for (let i = 0; i < COUNTERS; i++) {
      if (i === C.queueMax) sum[i] = Math.max(sum[i]!, counters[o + i]!);
      else sum[i] += counters[o + i]!;
    }
    const l = slot * LOG_BUCKETS;
    for (let i = 0; i < LOG_BUCKETS; i++) hist[i] += latency[l + i]!;
  }
  const outcomes = {} as Record<Outcome, number>;
  for (let i = 0; i < OUTCOMES.length; i++) outcomes[OUTCOMES[i]!] = sum[C.outcome0 + i]!;
  let latencyCount = 0;
  for (let i = 0; i < LOG_BUCKETS; i++) latencyCount += hist[i]!;
  return {
    seconds: to - from + 1,
    requests: sum[C.requests]!,
    outcomes,
    cleared: sum[C.cleared]!,
    uncleared: sum[C.uncleared]!,
    clearedServed: sum[C.clearedServed]!,
    originResponses: sum[C.originResponses]!,
    originErrors: sum[C.originErrors]!,
    cacheHits: sum[C.cacheHits]!,
    cacheMisses: sum[C.cacheMisses]!,
    cacheStale: sum[C.cacheStale]!,
    cacheBypass: sum[C.cacheBypass]!,
    challengesIssued: sum[C.challengesIssued]!,
    challengesSolved: sum[C.challengesSolved]!,
    challengesFailed: sum[C.challengesFailed]!,
    bytesIn: sum[C.bytesIn]!,
    bytesOut: sum[C.bytesOut]!,
    queueMax: sum[C.queueMax]!,
    latencyCount,
    latencyP50Ms: logPercentile(hist, 0.5),
    latencyP99Ms: logPercentile(hist, 0.99),
  };
}
