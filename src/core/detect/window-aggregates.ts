/**
 * Per-site aggregates of the last N seconds (issue #6, "Aggregates"): what the detector reads every
 * second. Fed one `RequestEvent` per request by the record phase, from the request path, so `observe`
 * is O(1) and allocation-light: typed-array counters in a ring of per-second buckets, two windowed
 * HyperLogLogs (all clients, uncleared clients) and, for uncleared requests, one Space-Saving offer per
 * dimension into a short ring of per-second summaries.
 *
 * Memory is fixed by the options whatever the traffic: (windowSeconds + 1) buckets of counters and a
 * latency histogram, 2 × (windowSeconds + 1) × 2^p bytes of HLL registers, and (recentSeconds + 1) × 7
 * summaries of `heavyCapacity` keys (each key truncated to `maxKeyLength`). `snapshot` merges these:
 * O(windowSeconds × 2^p + recentSeconds² × 7 × heavyCapacity), independent of how many distinct clients
 * were seen (a few ms at the defaults, 1M distinct clients or not).
 *
 * Heavy hitters and the `uncleared*` distinct counts cover uncleared clients only: cleared visitors are
 * never the target of a signature rule and must not look like a concentration (a flash crowd on one
 * article is not an attack).
 */
import { OUTCOME_INDEX, type Outcome } from '../vocabulary.ts';
import { BulwarkError } from '../../errors.ts';
import { DIMENSIONS, byDimension, type ByDimension } from './dimensions.ts';
import { hash32 } from './hash.ts';
import { createSpaceSaving, mergeHeavyHitters, type HeavyHitter, type SpaceSaving } from './heavy-hitters.ts';
import { LOG_BUCKETS, logBucket } from './log-histogram.ts';
import { createWindowedDistinct } from './windowed-distinct.ts';
import { C, COUNTERS, totalsOf, type Totals } from './totals.ts';

export type { Totals } from './totals.ts';

/** Micro-cache result of a request (issue #5), as in the `X-Cache`-like response header. */
export type CacheStatus = 'hit' | 'miss' | 'stale' | 'bypass';

/** Challenge step seen on this request (issue #4): a page served, or an answer checked. */
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
  /** Header-order fingerprint (issue #3). */
  readonly fingerprint: string | null;
  /** Valid clearance, allow-listed or verified good bot. */
  readonly cleared: boolean;
  /** Origin time to response head; null or negative when the origin was not asked. */
  readonly originLatencyMs: number | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly cache: CacheStatus | null;
  readonly challenge: ChallengeStep | null;
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
}

/** Creates empty per-site aggregates (`BULWARK_ERR_DETECT_WINDOW` on inconsistent options). */
export function createWindowAggregates(options: WindowAggregatesOptions = {}): WindowAggregates {
  const windowSeconds = options.windowSeconds ?? 10;
  const recentSeconds = options.recentSeconds ?? 3;
  if (!(windowSeconds >= 1 && recentSeconds >= 1 && recentSeconds <= windowSeconds && recentSeconds <= 30)) {
    throw new BulwarkError('BULWARK_ERR_DETECT_WINDOW', `need 1 ≤ recentSeconds (${recentSeconds}) ≤ min(windowSeconds (${windowSeconds}), 30)`, { source: 'config' });
  }
  const topK = options.topK ?? 64;
  const maxKeyLength = options.maxKeyLength ?? 256;
  const seed = options.hashSeed ?? 0;
  const heavyCapacity = options.heavyCapacity ?? 128;
  const slots = windowSeconds + 1;
  const counters = new Float64Array(slots * COUNTERS);
  const latency = new Uint32Array(slots * LOG_BUCKETS);
  const tags = new Float64Array(slots).fill(-1);
  const heavySlots = recentSeconds + 1;
  const heavy: SpaceSaving[][] = [];
  for (let i = 0; i < heavySlots; i++) heavy.push(DIMENSIONS.map(() => createSpaceSaving({ capacity: heavyCapacity })));
  const heavyTags = new Float64Array(heavySlots).fill(-1);
  const hll = { seconds: windowSeconds, precision: options.hllPrecision ?? 14 };
  const distinctAll = createWindowedDistinct(hll);
  const distinctUncleared = createWindowedDistinct(hll);
  let latestSecond = -Infinity;
  let events = 0;
  let lateEvents = 0;
  let truncatedKeys = 0;

  /** Slot of `second` in the counter ring, reset on first use; -1 when older than the ring. */
  function counterSlot(second: number): number {
    const slot = second % slots;
    if (tags[slot] === second) return slot;
    if (tags[slot]! > second || second <= latestSecond - slots) return -1;
    if (second > latestSecond) latestSecond = second;
    counters.fill(0, slot * COUNTERS, (slot + 1) * COUNTERS);
    latency.fill(0, slot * LOG_BUCKETS, (slot + 1) * LOG_BUCKETS);
    tags[slot] = second;
    return slot;
  }

  function heavySlot(second: number): SpaceSaving[] | null {
    const slot = second % heavySlots;
    if (heavyTags[slot] !== second) {
      if (heavyTags[slot]! > second) return null;
      for (const s of heavy[slot]!) s.reset();
      heavyTags[slot] = second;
    }
    return heavy[slot]!;
  }

  function key(value: string | null): string | null {
    if (value === null || value.length === 0) return null;
    if (value.length <= maxKeyLength) return value;
    truncatedKeys++;
    return value.slice(0, maxKeyLength);
  }

  function offerHeavy(event: RequestEvent, second: number): void {
    const summaries = heavySlot(second);
    if (summaries === null) return;
    summaries[0]!.offer(event.address);
    if (event.prefix !== null && event.prefix.length > 0) summaries[1]!.offer(event.prefix);
    if (event.asn !== null) summaries[2]!.offer(event.asn);
    if (event.country !== null && event.country.length > 0) summaries[3]!.offer(event.country);
    const path = key(event.path);
    if (path !== null) summaries[4]!.offer(path);
    const ua = key(event.userAgent);
    if (ua !== null) summaries[5]!.offer(ua);
    const fp = key(event.fingerprint);
    if (fp !== null) summaries[6]!.offer(fp);
  }

  function observe(event: RequestEvent, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const slot = counterSlot(second);
    if (slot < 0) {
      lateEvents++;
      return;
    }
    events++;
    const o = slot * COUNTERS;
    const outcome = event.outcome;
    counters[o + C.requests]++;
    counters[o + C.outcome0 + OUTCOME_INDEX[outcome]]++;
    if (outcome === 'forwarded' || outcome === 'failed') {
      counters[o + C.originResponses]++;
      if (outcome === 'failed' || event.status >= 500) counters[o + C.originErrors]++;
    }
    const lat = event.originLatencyMs;
    if (lat !== null && lat >= 0) latency[slot * LOG_BUCKETS + logBucket(lat)]++;
    countCacheAndChallenge(o, event);
    counters[o + C.bytesIn] += event.bytesIn;
    counters[o + C.bytesOut] += event.bytesOut;
    const h = hash32(event.address, seed);
    distinctAll.addHash(h, second);
    if (event.cleared) {
      counters[o + C.cleared]++;
      if ((outcome === 'forwarded' || outcome === 'cached' || outcome === 'stale') && event.status < 500) counters[o + C.clearedServed]++;
    } else {
      counters[o + C.uncleared]++;
      distinctUncleared.addHash(h, second);
      offerHeavy(event, second);
    }
  }

  function countCacheAndChallenge(o: number, event: RequestEvent): void {
    switch (event.cache) {
      case 'hit': counters[o + C.cacheHits]++; break;
      case 'miss': counters[o + C.cacheMisses]++; break;
      case 'stale': counters[o + C.cacheStale]++; break;
      case 'bypass': counters[o + C.cacheBypass]++; break;
      default: break;
    }
    switch (event.challenge) {
      case 'issued': counters[o + C.challengesIssued]++; break;
      case 'solved': counters[o + C.challengesSolved]++; break;
      case 'failed': counters[o + C.challengesFailed]++; break;
      default: break;
    }
  }

  function heavySnapshot(second: number): HeavySnapshot {
    const present: SpaceSaving[][] = [];
    for (let s = second - recentSeconds + 1; s <= second; s++) {
      const slot = s % heavySlots;
      if (s >= 0 && heavyTags[slot] === s) present.push(heavy[slot]!);
    }
    const total = totalsOf(counters, latency, tags, slots, second - recentSeconds + 1, second).uncleared;
    const byDim = byDimension((d) => mergeHeavyHitters(present.map((p) => p[DIMENSIONS.indexOf(d)]!), topK));
    return { total, seconds: recentSeconds, topK, byDimension: byDim };
  }

  return {
    observe,
    observeQueue(length, nowMs) {
      const slot = counterSlot(Math.floor(nowMs / 1000));
      if (slot < 0) return;
      const i = slot * COUNTERS + C.queueMax;
      if (length > counters[i]!) counters[i] = length;
    },
    snapshot(nowMs) {
      const second = Math.floor(nowMs / 1000) - 1;
      const range = (from: number) => totalsOf(counters, latency, tags, slots, from, second);
      const requestSeries: number[] = [];
      for (let s = second - windowSeconds + 1; s <= second; s++) {
        const slot = s % slots;
        requestSeries.push(s >= 0 && tags[slot] === s ? counters[slot * COUNTERS + C.requests]! : 0);
      }
      const from = second - windowSeconds + 1;
      return {
        nowMs,
        second,
        windowSeconds,
        recentSeconds,
        last: range(second),
        recent: range(second - recentSeconds + 1),
        window: range(from),
        requestSeries,
        distinct: {
          last: distinctAll.countRange(second, second),
          unclearedLast: distinctUncleared.countRange(second, second),
          window: distinctAll.countRange(from, second),
          unclearedWindow: distinctUncleared.countRange(from, second),
        },
        heavy: heavySnapshot(second),
      };
    },
    stats() {
      let heavyEntries = 0;
      for (const row of heavy) for (const s of row) heavyEntries += s.size;
      return {
        events,
        lateEvents,
        truncatedKeys,
        heavyEntries,
        heavyCapacity: heavySlots * DIMENSIONS.length * heavyCapacity,
        fixedBytes: distinctAll.bytes + distinctUncleared.bytes + counters.byteLength + latency.byteLength,
      };
    },
    reset() {
      tags.fill(-1);
      heavyTags.fill(-1);
      for (const row of heavy) for (const s of row) s.reset();
      distinctAll.reset();
      distinctUncleared.reset();
      latestSecond = -Infinity;
      events = 0;
      lateEvents = 0;
      truncatedKeys = 0;
    },
  };
}
