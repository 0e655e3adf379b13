/**
 * Bounded per-site aggregates: per-second counters by outcome and status class,
 * bytes in and out, an origin latency histogram (with its sum, for Prometheus), cleared visitors and how
 * many of them were served, and open connections. A ring of `windowS` seconds (default 900: the
 * dashboard's 15-minute live view) plus running totals; memory is fixed at creation whatever the
 * traffic (~64 numbers a second: 460 KB a site).
 *
 * `observe` is O(1) and allocation-free: it runs for every request.
 */
import { OUTCOMES, OUTCOME_INDEX, type Outcome } from '../core/vocabulary.ts';
import { LATENCY_BUCKETS, latencyBucket, percentileOf } from './latency-histogram.ts';

const N_OUT = OUTCOMES.length;
const N_STATUS = 6; // index 0 = no status (dropped), 1..5 = 1xx..5xx
// Column layout of one second's row.
const COL_OUTCOME = 0;
const COL_STATUS = COL_OUTCOME + N_OUT;
const COL_BYTES_IN = COL_STATUS + N_STATUS;
const COL_BYTES_OUT = COL_BYTES_IN + 1;
const COL_LAT = COL_BYTES_OUT + 1;
const COL_LAT_SUM = COL_LAT + LATENCY_BUCKETS;
const COL_CLEARED = COL_LAT_SUM + 1;
const COL_CLEARED_SERVED = COL_CLEARED + 1;
const ROW = COL_CLEARED_SERVED + 1;

/** Outcomes that count as served (answered by the origin or the cache), with a status below 500. */
const SERVED = new Set<Outcome>(['forwarded', 'cached', 'stale']);

export interface SiteSecond {
  readonly t: number; // unix seconds
  readonly requests: number;
  readonly outcomes: Record<Outcome, number>;
  readonly status: { none: number; '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly originP50Ms: number | null;
  readonly originP99Ms: number | null;
  /** Requests from cleared visitors (a valid clearance), and how many of those were served. */
  readonly cleared: number;
  readonly clearedServed: number;
}

/** The cumulative origin latency histogram: counts per bucket (latency-histogram.ts) and the sum in ms. */
export interface LatencyTotals {
  readonly buckets: Float64Array;
  readonly sumMs: number;
}

export interface SiteStatsSnapshot {
  readonly site: string;
  readonly openConnections: number;
  readonly inFlight: number;
  readonly totals: Omit<SiteSecond, 't'>;
  /** The last `seconds` complete-or-current seconds, oldest first (seconds with no traffic included). */
  readonly series: SiteSecond[];
}

export interface SiteStats {
  readonly site: string;
  observe(nowMs: number, outcome: Outcome, status: number, bytesIn: number, bytesOut: number, originLatencyMs: number, cleared?: boolean): void;
  /** The cumulative origin latency histogram (a copy). */
  latencyTotals(): LatencyTotals;
  connectionOpened(): void;
  connectionClosed(): void;
  requestStarted(): void;
  requestEnded(): void;
  snapshot(nowMs: number, seconds?: number): SiteStatsSnapshot;
  /** Requests per outcome over the last `seconds` seconds (current second included). */
  recentOutcomes(nowMs: number, seconds: number): Record<Outcome, number>;
}

/** Creates the aggregates of one site, keeping `windowS` seconds (default 300). */
export function createSiteStats(site: string, windowS = 900): SiteStats {
  const ring = new Float64Array(windowS * ROW);
  const stamps = new Float64Array(windowS).fill(-1); // which unix second each ring row holds
  const totals = new Float64Array(ROW);
  let openConnections = 0;
  let inFlight = 0;

  function rowFor(sec: number): number {
    const slot = sec % windowS;
    if (stamps[slot] !== sec) {
      stamps[slot] = sec;
      ring.fill(0, slot * ROW, slot * ROW + ROW);
    }
    return slot * ROW;
  }

  function decode(data: Float64Array, base: number): Omit<SiteSecond, 't'> {
    const outcomes = {} as Record<Outcome, number>;
    let requests = 0;
    for (let i = 0; i < N_OUT; i++) {
      outcomes[OUTCOMES[i]!] = data[base + COL_OUTCOME + i]!;
      requests += data[base + COL_OUTCOME + i]!;
    }
    const s = base + COL_STATUS;
    return {
      requests,
      outcomes,
      status: { none: data[s]!, '1xx': data[s + 1]!, '2xx': data[s + 2]!, '3xx': data[s + 3]!, '4xx': data[s + 4]!, '5xx': data[s + 5]! },
      bytesIn: data[base + COL_BYTES_IN]!,
      bytesOut: data[base + COL_BYTES_OUT]!,
      originP50Ms: percentileOf(data, 0.5, base + COL_LAT),
      originP99Ms: percentileOf(data, 0.99, base + COL_LAT),
      cleared: data[base + COL_CLEARED]!,
      clearedServed: data[base + COL_CLEARED_SERVED]!,
    };
  }

  return {
    site,
    observe(nowMs, outcome, status, bytesIn, bytesOut, originLatencyMs, cleared = false) {
      const row = rowFor(Math.floor(nowMs / 1000));
      const o = COL_OUTCOME + OUTCOME_INDEX[outcome];
      const sc = COL_STATUS + (status >= 100 && status < 600 ? Math.floor(status / 100) : 0);
      ring[row + o]!++;
      totals[o]!++;
      ring[row + sc]!++;
      totals[sc]!++;
      ring[row + COL_BYTES_IN] += bytesIn;
      totals[COL_BYTES_IN] += bytesIn;
      ring[row + COL_BYTES_OUT] += bytesOut;
      totals[COL_BYTES_OUT] += bytesOut;
      if (originLatencyMs >= 0) {
        const b = COL_LAT + latencyBucket(originLatencyMs);
        ring[row + b]!++;
        totals[b]!++;
        totals[COL_LAT_SUM] += originLatencyMs;
      }
      if (cleared) {
        ring[row + COL_CLEARED]!++;
        totals[COL_CLEARED]!++;
        if (SERVED.has(outcome) && status < 500) {
          ring[row + COL_CLEARED_SERVED]!++;
          totals[COL_CLEARED_SERVED]!++;
        }
      }
    },
    latencyTotals() {
      return { buckets: totals.slice(COL_LAT, COL_LAT + LATENCY_BUCKETS), sumMs: totals[COL_LAT_SUM]! };
    },
    connectionOpened() {
      openConnections++;
    },
    connectionClosed() {
      if (openConnections > 0) openConnections--;
    },
    requestStarted() {
      inFlight++;
    },
    requestEnded() {
      if (inFlight > 0) inFlight--;
    },
    snapshot(nowMs, seconds = 60) {
      const now = Math.floor(nowMs / 1000);
      const n = Math.min(seconds, windowS);
      const series: SiteSecond[] = [];
      const empty = new Float64Array(ROW);
      for (let sec = now - n + 1; sec <= now; sec++) {
        const slot = sec % windowS;
        series.push({ t: sec, ...decode(stamps[slot] === sec ? ring : empty, stamps[slot] === sec ? slot * ROW : 0) });
      }
      return { site, openConnections, inFlight, totals: decode(totals, 0), series };
    },
    recentOutcomes(nowMs, seconds) {
      const now = Math.floor(nowMs / 1000);
      const out = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
      for (let sec = now - Math.min(seconds, windowS) + 1; sec <= now; sec++) {
        const slot = sec % windowS;
        if (stamps[slot] !== sec) continue;
        for (let i = 0; i < N_OUT; i++) out[OUTCOMES[i]!] += ring[slot * ROW + COL_OUTCOME + i]!;
      }
      return out;
    },
  };
}
