/**
 * Per-site aggregates of the last N seconds: what the detector reads every
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
 *
 * In a flood the heavy hitters are sampled (as sFlow and Cloudflare's dosd sample packets): the first
 * `heavyExactPerSecond` uncleared requests of a second are all offered; beyond that one request in
 * `heavySampleEvery`, chosen at random (a seeded xorshift, so no one can time his requests around it),
 * is offered with that weight. Counts stay unbiased estimates, and the shares the detector reads are
 * what matter at that volume; the counters and distinct counts stay exact. Seven offers per request
 * were most of the per-request cost of a flood.
 */
import { OUTCOME_INDEX } from '../vocabulary.ts';
import { BulwarkError } from '../errors.ts';
import type { HeavySnapshot, RequestEvent, SecondExport, WindowAggregates, WindowAggregatesOptions } from './aggregate-types.ts';
import { DIMENSIONS, byDimension } from './dimensions.ts';
import { hash32 } from '../sketch/hash.ts';
import { createSpaceSaving, mergeHeavyHitters, type SpaceSaving } from './heavy-hitters.ts';
import { LOG_BUCKETS, logBucket } from './log-histogram.ts';
import { createWindowedDistinct } from './windowed-distinct.ts';
import { C, COUNTERS, totalsOf } from './totals.ts';

export type { Totals } from './totals.ts';
export type {
  AggregateStats, CacheStatus, ChallengeStep, DistinctCounts, HeavySnapshot, RequestEvent, SecondExport, Snapshot, WindowAggregates, WindowAggregatesOptions,
} from './aggregate-types.ts';

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
  const exactPerSecond = options.heavyExactPerSecond ?? 2048;
  const sampleEvery = Math.max(1, Math.floor(options.heavySampleEvery ?? 8));
  /** xorshift32 state for the sampling (never 0). */
  let rnd = (seed ^ 0x9e3779b9) >>> 0 || 1;
  const slots = windowSeconds + 1;
  const counters = new Float64Array(slots * COUNTERS);
  const latency = new Uint32Array(slots * LOG_BUCKETS);
  const tags = new Float64Array(slots).fill(-1);
  const heavySlots = recentSeconds + 1;
  const heavy: SpaceSaving[][] = [];
  // The address dimension sees the most distinct keys (a million in a botnet flood): it gets the
  // filtered variant, fed with the address hash computed anyway for the distinct counts.
  const filterCells = options.addressFilterCells ?? 4096;
  for (let i = 0; i < heavySlots; i++) {
    heavy.push(DIMENSIONS.map((d) => createSpaceSaving({ capacity: heavyCapacity, filterCells: d === 'address' ? filterCells : 0 })));
  }
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

  function offerHeavy(event: RequestEvent, second: number, hash: number, n: number): void {
    const summaries = heavySlot(second);
    if (summaries === null) return;
    summaries[0]!.offer(event.address, n, hash);
    if (event.prefix !== null && event.prefix.length > 0) summaries[1]!.offer(event.prefix, n);
    if (event.asn !== null) summaries[2]!.offer(event.asn, n);
    if (event.country !== null && event.country.length > 0) summaries[3]!.offer(event.country, n);
    const path = key(event.path);
    if (path !== null) summaries[4]!.offer(path, n);
    const ua = key(event.userAgent);
    if (ua !== null) summaries[5]!.offer(ua, n);
    const fp = key(event.fingerprint);
    if (fp !== null) summaries[6]!.offer(fp, n);
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
    const h = event.addressHash ?? hash32(event.address, seed);
    distinctAll.addHash(h, second);
    if (event.cleared) {
      counters[o + C.cleared]++;
      if ((outcome === 'forwarded' || outcome === 'cached' || outcome === 'stale') && event.status < 500) counters[o + C.clearedServed]++;
    } else {
      const uncleared = ++counters[o + C.uncleared]!;
      distinctUncleared.addHash(h, second);
      if (uncleared <= exactPerSecond || sampleEvery === 1) offerHeavy(event, second, h, 1);
      else {
        rnd ^= rnd << 13;
        rnd ^= rnd >>> 17;
        rnd ^= rnd << 5;
        rnd >>>= 0;
        if (rnd % sampleEvery === 0) offerHeavy(event, second, h, sampleEvery);
      }
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

  function exportSecond(second: number): SecondExport | null {
    const slot = second % slots;
    if (second < 0 || tags[slot] !== second) return null;
    const all = distinctAll.registersOf(second);
    const uncleared = distinctUncleared.registersOf(second) ?? new Uint8Array(1 << hll.precision);
    if (all === null) return null;
    const hs = second % heavySlots;
    const heavyRow = heavyTags[hs] === second ? heavy[hs]! : null;
    return {
      second,
      counters: counters.slice(slot * COUNTERS, (slot + 1) * COUNTERS),
      latency: latency.slice(slot * LOG_BUCKETS, (slot + 1) * LOG_BUCKETS),
      all,
      uncleared,
      heavy: DIMENSIONS.map((_, d) => (heavyRow === null ? [] : heavyRow[d]!.top(topK).map((h) => ({ key: h.key, count: h.count })))),
    };
  }

  function mergeSecond(part: SecondExport): boolean {
    const second = part.second;
    const slot = counterSlot(second);
    if (slot < 0 || part.counters.length !== COUNTERS || part.latency.length !== LOG_BUCKETS) return false;
    const o = slot * COUNTERS;
    for (let i = 0; i < COUNTERS; i++) {
      if (i === C.queueMax) counters[o + i] = Math.max(counters[o + i]!, part.counters[i]!);
      else counters[o + i] += part.counters[i]!;
    }
    for (let i = 0; i < LOG_BUCKETS; i++) latency[slot * LOG_BUCKETS + i] += part.latency[i]!;
    distinctAll.mergeInto(second, part.all);
    distinctUncleared.mergeInto(second, part.uncleared);
    const summaries = heavySlot(second);
    if (summaries !== null) {
      part.heavy.forEach((entries, d) => {
        const summary = summaries[d];
        if (summary === undefined) return;
        for (const e of entries) {
          if (!(e.count > 0)) continue;
          if (d === 0) summary.offer(e.key, e.count, hash32(String(e.key), seed));
          else summary.offer(e.key, e.count);
        }
      });
    }
    return true;
  }

  return {
    exportSecond,
    mergeSecond,
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
