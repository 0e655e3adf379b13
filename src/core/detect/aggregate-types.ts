/**
 * The types of the per-site aggregates (window-aggregates.ts): the request event they are fed, the
 * snapshot the detector reads, their options and fill levels.
 */
import type { Outcome } from '../vocabulary.ts';
import type { ByDimension } from './dimensions.ts';
import type { HeavyHitter } from './heavy-hitters.ts';
import type { Totals } from './totals.ts';

/** Micro-cache result of a request, as in the `X-Cache`-like response header. */
export type CacheStatus = 'hit' | 'miss' | 'stale' | 'bypass';

/** Challenge step seen on this request: a page served, or an answer checked. */
export type ChallengeStep = 'issued' | 'solved' | 'failed';

/**
 * One request as the aggregates need it, built by the record phase from the request record and the
 * identify phase's facts. Strings that are unknown are null (an empty string counts as unknown too).
 */
export interface RequestEvent {
  /** Site name; the per-site aggregates object ignores it (the caller routes by it). */
  readonly site: string;
  readonly outcome: Outcome;
  /** HTTP status sent, 0 when none (dropped). */
  readonly status: number;
  /** Normalised client address. */
  readonly address: string;
  /** Prefix key such as `203.0.113.0/24` or `2001:db8::/64`. */
  readonly prefix: string | null;
  readonly asn: number | null;
  /** ISO 3166 alpha-2 country code (or a label such as `loopback`). */
  readonly country: string | null;
  /** Normalised path without query (null when the request was not parsed). */
  readonly path: string | null;
  readonly userAgent: string | null;
  /** Header-order fingerprint. */
  readonly fingerprint: string | null;
  /** Valid clearance, allow-listed or verified good bot. */
  readonly cleared: boolean;
  /** Origin time to response head; null or negative when the origin was not asked. */
  readonly originLatencyMs: number | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly cache: CacheStatus | null;
  readonly challenge: ChallengeStep | null;
  /** `hash32(address, hashSeed)` when the caller computed it already (the aggregates' seed), else absent. */
  readonly addressHash?: number;
}

/** Distinct clients (HyperLogLog estimates, ~0.8% standard error at p = 14). */
export interface DistinctCounts {
  /** In the last complete second, all clients / uncleared clients only. */
  readonly last: number;
  readonly unclearedLast: number;
  /** Over the whole window. */
  readonly window: number;
  readonly unclearedWindow: number;
}

/** Heavy hitters among uncleared requests over the `recentSeconds` ending at `Snapshot.second`. */
export interface HeavySnapshot {
  /** Uncleared requests in those seconds: the denominator of every share. */
  readonly total: number;
  readonly seconds: number;
  /** Keys listed at most per dimension: a list this long may have been cut (see baseline tail shares). */
  readonly topK: number;
  /** Up to `topK` keys per dimension, largest first; true count ∈ [count − error, count + error]. */
  readonly byDimension: ByDimension<readonly HeavyHitter[]>;
}

/** What the detector reads each tick. Complete seconds only: the current, partial second is excluded. */
export interface Snapshot {
  readonly nowMs: number;
  /** Epoch second (⌊ms/1000⌋) of the last complete second. */
  readonly second: number;
  readonly windowSeconds: number;
  readonly recentSeconds: number;
  /** The last complete second. */
  readonly last: Totals;
  /** The last `recentSeconds` complete seconds (sums; queueMax is a max). */
  readonly recent: Totals;
  /** The last `windowSeconds` complete seconds. */
  readonly window: Totals;
  /** Requests per second over the window, oldest first (windowSeconds values, last = `last.requests`). */
  readonly requestSeries: readonly number[];
  readonly distinct: DistinctCounts;
  readonly heavy: HeavySnapshot;
}

/** Fill levels, for metrics ("every buffer has a cap and its fill level is observable"). */
export interface AggregateStats {
  readonly events: number;
  /** Events whose timestamp was older than the ring (dropped). */
  readonly lateEvents: number;
  /** Keys cut to `maxKeyLength`. */
  readonly truncatedKeys: number;
  /** Keys monitored in all per-second summaries, and the cap on that number. */
  readonly heavyEntries: number;
  readonly heavyCapacity: number;
  /** Bytes of HyperLogLog registers and counters (fixed). */
  readonly fixedBytes: number;
}

/** Sizes of the per-site aggregates; every default is listed on its field. */
export interface WindowAggregatesOptions {
  /** Seconds of counters and distinct counts kept. Default 10. */
  readonly windowSeconds?: number;
  /** Seconds of heavy hitters and of the `recent` totals (≤ windowSeconds, ≤ 30). Default 3. */
  readonly recentSeconds?: number;
  /** HyperLogLog precision. Default 14. */
  readonly hllPrecision?: number;
  /** Space-Saving counters per dimension per second. Default 128. */
  readonly heavyCapacity?: number;
  /** Heavy hitters per dimension in a snapshot. Default 64. */
  readonly topK?: number;
  /** Longer path / user agent / fingerprint keys are cut to this. Default 256. */
  readonly maxKeyLength?: number;
  /** Seed for the address hash (give each process a random one). Default 0. */
  readonly hashSeed?: number;
  /** Filter cells of the address heavy hitters (Filtered Space-Saving; power of two, 0 = off). Default 4096. */
  readonly addressFilterCells?: number;
  /**
   * Uncleared requests per second whose keys are all offered to the heavy hitters; beyond that, in a
   * flood, one request in `heavySampleEvery` is offered (at random) with that weight. Default 2048.
   */
  readonly heavyExactPerSecond?: number;
  /** Sampling period beyond `heavyExactPerSecond` (1 = never sample). Default 8. */
  readonly heavySampleEvery?: number;
}

/**
 * One complete second of one process's aggregates, as another process merges it (Bulwark's workers and
 * nodes each see part of a site's traffic; the site's leader merges every part before it detects).
 * Counts are weighted as the exporter counted them (sampled heavy hitters carry their weight).
 */
export interface SecondExport {
  readonly second: number;
  /** The second's counters (layout of totals.ts `C`). */
  readonly counters: Float64Array;
  /** Origin latency histogram (log-histogram.ts buckets). */
  readonly latency: Uint32Array;
  /** HyperLogLog registers of all clients / of uncleared clients (same precision and hash seed). */
  readonly all: Uint8Array;
  readonly uncleared: Uint8Array;
  /** Heavy hitters per dimension (DIMENSIONS order), at most `topK` each. */
  readonly heavy: ReadonlyArray<ReadonlyArray<{ readonly key: string | number; readonly count: number }>>;
}

/** The per-site aggregates. */
export interface WindowAggregates {
  /** Records one request at time nowMs. O(1); never throws on well-typed input. */
  observe(event: RequestEvent, nowMs: number): void;
  /** Records the origin queue length seen at nowMs (the second's maximum is kept). */
  observeQueue(length: number, nowMs: number): void;
  /** The aggregates of the complete seconds before nowMs. */
  snapshot(nowMs: number): Snapshot;
  stats(): AggregateStats;
  reset(): void;
  /** Second `second` as another process merges it; null when the ring no longer (or never) held it. */
  exportSecond(second: number): SecondExport | null;
  /**
   * Adds another process's second to this one's (counters summed, queue length maximised, registers
   * maxed, heavy hitters offered with their counts). False when the second is older than the ring.
   */
  mergeSecond(part: SecondExport): boolean;
}

