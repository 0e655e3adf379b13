/**
 * The dashboard's per-second history of each site, for the live view (the last 15 minutes at 1 s): one
 * sample a second per configured site, read from the aggregates Bulwark keeps anyway — the recorder's
 * per-site stats (outcomes, origin latency, cleared visitors), the shield (origin in flight, admission
 * limit, queue, cache counters) and challenge statistics (issued, solved, failed) — plus the threat level.
 *
 * Bounded: a ring of `seconds` samples (default 900) of {@link COLUMNS} numbers per site, sites limited to
 * the configured ones (at most `maxSites`, default 256); a site that leaves the config is dropped at the
 * next sample. The sampler costs a few reads per site per second, with or without a dashboard open.
 */
import type { Outcome, ThreatLevel } from '../../core/vocabulary.ts';

/** The columns of one sample, in order. Counts are of that second; gauges are read at its end. */
export const COLUMNS = [
  't', 'requests', 'served', 'challenged', 'refused', 'shed', 'failed', 'other',
  'p50_ms', 'p99_ms', 'in_flight', 'limit', 'queued', 'cache_hits', 'cache_misses', 'cache_stale',
  'challenges_issued', 'challenges_solved', 'challenges_failed', 'level', 'cleared', 'cleared_served',
] as const;
export type Column = (typeof COLUMNS)[number];
const N = COLUMNS.length;
const COL = Object.fromEntries(COLUMNS.map((c, i) => [c, i])) as Record<Column, number>;

/** How the outcomes are grouped on the dashboard. */
const GROUP: Record<Outcome, Column> = {
  forwarded: 'served', cached: 'served', stale: 'served', challenged: 'challenged', limited: 'refused', blocked: 'refused', dropped: 'refused',
  tarpitted: 'refused', rejected: 'refused', shed: 'shed', failed: 'failed', abandoned: 'other', error: 'other',
};
const LEVEL: Record<ThreatLevel, number> = { normal: 0, elevated: 1, under_attack: 2 };

/** What one site looks like at the end of a second (cumulative counters are turned into deltas here). */
export interface SiteReading {
  /** The complete second just ended: per-outcome counts, latency percentiles, cleared visitors. */
  readonly second: { readonly t: number; readonly outcomes: Readonly<Record<Outcome, number>>; readonly p50: number | null; readonly p99: number | null; readonly cleared: number; readonly clearedServed: number };
  readonly origin: { readonly inFlight: number; readonly limit: number; readonly queued: number } | null;
  /** Cumulative cache counters. */
  readonly cache: { readonly hits: number; readonly misses: number; readonly stale: number } | null;
  /** Cumulative challenge counters. */
  readonly challenges: { readonly issued: number; readonly solved: number; readonly failed: number } | null;
  readonly level: ThreatLevel;
}

/** The history. */
export interface LiveHistory {
  /** Takes one sample of every site (the sampler calls it once a second). */
  sample(sites: readonly string[], read: (site: string) => SiteReading): void;
  /** The last `seconds` samples of a site as columns (oldest first), or null for an unknown site. */
  series(site: string, seconds?: number): Record<Column, number[]> | null;
  /** The newest sample of a site as an object. */
  latest(site: string): Record<Column, number> | null;
  stats(): { sites: number; seconds: number; bytes: number };
}

interface Ring {
  readonly data: Float64Array;
  count: number;
  next: number;
  last: { cache: SiteReading['cache']; challenges: SiteReading['challenges'] } | null;
}

/** Creates the history (see the module comment). */
export function createLiveHistory(options: { seconds?: number; maxSites?: number } = {}): LiveHistory {
  const seconds = options.seconds ?? 900;
  const maxSites = options.maxSites ?? 256;
  const rings = new Map<string, Ring>();
  const delta = (now: number | undefined, before: number | undefined) => (now === undefined || before === undefined ? 0 : Math.max(0, now - before));

  function write(ring: Ring, r: SiteReading): void {
    const row = new Float64Array(N);
    row[COL.t] = r.second.t;
    for (const [o, n] of Object.entries(r.second.outcomes)) {
      row[COL.requests] += n;
      row[COL[GROUP[o as Outcome]]] += n;
    }
    row[COL.p50_ms] = r.second.p50 ?? NaN;
    row[COL.p99_ms] = r.second.p99 ?? NaN;
    row[COL.in_flight] = r.origin?.inFlight ?? NaN;
    row[COL.limit] = r.origin?.limit ?? NaN;
    row[COL.queued] = r.origin?.queued ?? NaN;
    row[COL.cache_hits] = delta(r.cache?.hits, ring.last?.cache?.hits);
    row[COL.cache_misses] = delta(r.cache?.misses, ring.last?.cache?.misses);
    row[COL.cache_stale] = delta(r.cache?.stale, ring.last?.cache?.stale);
    row[COL.challenges_issued] = delta(r.challenges?.issued, ring.last?.challenges?.issued);
    row[COL.challenges_solved] = delta(r.challenges?.solved, ring.last?.challenges?.solved);
    row[COL.challenges_failed] = delta(r.challenges?.failed, ring.last?.challenges?.failed);
    row[COL.level] = LEVEL[r.level];
    row[COL.cleared] = r.second.cleared;
    row[COL.cleared_served] = r.second.clearedServed;
    ring.last = { cache: r.cache, challenges: r.challenges };
    ring.data.set(row, ring.next * N);
    ring.next = (ring.next + 1) % seconds;
    ring.count = Math.min(seconds, ring.count + 1);
  }

  return {
    sample(sites, read) {
      const keep = new Set(sites.slice(0, maxSites));
      for (const name of rings.keys()) if (!keep.has(name)) rings.delete(name);
      for (const site of keep) {
        let ring = rings.get(site);
        if (ring === undefined) rings.set(site, (ring = { data: new Float64Array(seconds * N), count: 0, next: 0, last: null }));
        write(ring, read(site));
      }
    },
    series(site, want = seconds) {
      const ring = rings.get(site);
      if (ring === undefined) return null;
      const n = Math.min(want, ring.count);
      const out = Object.fromEntries(COLUMNS.map((c) => [c, new Array<number>(n)])) as Record<Column, number[]>;
      for (let i = 0; i < n; i++) {
        const slot = (ring.next - n + i + seconds) % seconds;
        for (let c = 0; c < N; c++) out[COLUMNS[c]!][i] = ring.data[slot * N + c]!;
      }
      return out;
    },
    latest(site) {
      const s = this.series(site, 1);
      if (s === null || s.t.length === 0) return null;
      return Object.fromEntries(COLUMNS.map((c) => [c, s[c][0]!])) as Record<Column, number>;
    },
    stats: () => ({ sites: rings.size, seconds, bytes: rings.size * seconds * N * 8 }),
  };
}
