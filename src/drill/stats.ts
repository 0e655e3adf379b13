/**
 * Measurement primitives shared by the origin fixture, the attackers and the visitors: a latency
 * recorder with percentiles, bounded counters by key (status, outcome) and a rolling per-second series.
 * Time is passed in (`nowMs`) wherever a result depends on it, so tests use fake clocks.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** A latency distribution in milliseconds; all fields are 0 when nothing was recorded. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** Records latencies (ms, microsecond resolution) in a fixed-size HDR histogram (perf_hooks). */
export interface LatencyRecorder {
  /** Adds one latency in milliseconds; negative or non-finite values are ignored. */
  record(ms: number): void;
  /** The latency (ms) below which `percent` % of the recorded values fall; 0 when empty. */
  percentile(percent: number): number;
  count(): number;
  summary(): LatencySummary;
  /** Adds every value of another recorder into this one (for per-kind → overall summaries). */
  merge(other: LatencyRecorder): void;
  reset(): void;
  /** The underlying histogram (values in microseconds), for merging. */
  readonly histogram: RecordableHistogram;
}

/** Creates a latency recorder. Memory is fixed (HDR buckets, 3 significant figures) whatever the count. */
export function createLatencyRecorder(): LatencyRecorder {
  const histogram = createHistogram({ lowest: 1, highest: 3_600_000_000, figures: 3 });
  const toMs = (us: number): number => Math.round(us) / 1000;
  const count = (): number => histogram.count;
  const percentile = (percent: number): number => (histogram.count === 0 ? 0 : toMs(histogram.percentile(percent)));
  return {
    histogram,
    record(ms) {
      if (!Number.isFinite(ms) || ms < 0) return;
      histogram.record(Math.min(3_600_000_000, Math.max(1, Math.round(ms * 1000))));
    },
    percentile,
    count,
    summary() {
      if (histogram.count === 0) return { count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 };
      return {
        count: histogram.count,
        p50Ms: percentile(50),
        p90Ms: percentile(90),
        p99Ms: percentile(99),
        maxMs: toMs(histogram.max),
        meanMs: toMs(histogram.mean),
      };
    },
    merge(other) {
      histogram.add(other.histogram);
    },
    reset() {
      histogram.reset();
    },
  };
}

/** Counters by string key with a cap on distinct keys; beyond it, counts go to `other`. */
export interface KeyedCounter {
  add(key: string | number, n?: number): void;
  get(key: string | number): number;
  total(): number;
  /** Distinct keys held (≤ the cap), and whether some counts went to `other` because of it. */
  fill(): { readonly keys: number; readonly cap: number; readonly overflowed: boolean };
  snapshot(): Record<string, number>;
  reset(): void;
}

/**
 * Creates a keyed counter. Default cap 256 keys: enough for statuses and outcomes; per-path or
 * per-source tables pass a larger cap. Keys over the cap are counted under `other` so totals stay right.
 */
export function createKeyedCounter(cap = 256): KeyedCounter {
  const counts = new Map<string, number>();
  let overflowed = false;
  let total = 0;
  return {
    add(key, n = 1) {
      let k = String(key);
      if (!counts.has(k) && counts.size >= cap) {
        k = 'other';
        overflowed = true;
      }
      counts.set(k, (counts.get(k) ?? 0) + n);
      total += n;
    },
    get: (key) => counts.get(String(key)) ?? 0,
    total: () => total,
    fill: () => ({ keys: counts.size, cap, overflowed }),
    snapshot: () => Object.fromEntries(counts),
    reset() {
      counts.clear();
      overflowed = false;
      total = 0;
    },
  };
}

/** One second of a {@link RateSeries}: `second` is `Math.floor(nowMs / 1000)`. */
export interface RatePoint {
  readonly second: number;
  readonly count: number;
}

/** Counts events per wall-clock second, keeping the last `windowS` seconds and the all-time peak. */
export interface RateSeries {
  add(nowMs: number, n?: number): void;
  /** The last `windowS` seconds up to `nowMs` (oldest first), with zeros for quiet seconds. */
  series(nowMs: number): RatePoint[];
  /** Highest count seen in any one second (including the current, still-open second). */
  peak(): number;
  total(): number;
  reset(): void;
}

/**
 * Creates a rolling per-second series over a ring of `windowS` seconds (default 600). Events older than
 * the window, or arriving out of order by more than the window, still count in the total and the peak of
 * their own second is not revised — the series is for live curves, not exact history.
 */
export function createRateSeries(windowS = 600): RateSeries {
  const counts = new Float64Array(windowS);
  const seconds = new Float64Array(windowS).fill(-1);
  let peak = 0;
  let total = 0;
  return {
    add(nowMs, n = 1) {
      const s = Math.floor(nowMs / 1000);
      const slot = ((s % windowS) + windowS) % windowS;
      if (seconds[slot] !== s) {
        if (seconds[slot] > s) {
          total += n;
          return;
        }
        seconds[slot] = s;
        counts[slot] = 0;
      }
      counts[slot] += n;
      total += n;
      if (counts[slot] > peak) peak = counts[slot];
    },
    series(nowMs) {
      const last = Math.floor(nowMs / 1000);
      const out: RatePoint[] = [];
      for (let s = last - windowS + 1; s <= last; s++) {
        const slot = ((s % windowS) + windowS) % windowS;
        out.push({ second: s, count: seconds[slot] === s ? counts[slot] : 0 });
      }
      return out;
    },
    peak: () => peak,
    total: () => total,
    reset() {
      counts.fill(0);
      seconds.fill(-1);
      peak = 0;
      total = 0;
    },
  };
}

/** A monotonic clock in milliseconds (performance.now based), for latency measurements in the drill. */
export function monotonicMs(): number {
  return performance.now();
}
