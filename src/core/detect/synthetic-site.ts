/**
 * Synthetic snapshots for detector tests, benchmarks and drills: describe each second in a few numbers
 * (rates, distinct clients, origin health, heavy-hitter shares) and get the `Snapshot` the aggregates
 * would have produced, with `recent` and `window` summed over the previous seconds. Pure.
 */
import { OUTCOMES, type Outcome } from '../vocabulary.ts';
import { byDimension, type ByDimension } from './dimensions.ts';
import type { HeavyHitter, HeavyKey } from './heavy-hitters.ts';
import { emptyTotals, type Totals } from './totals.ts';
import type { Snapshot } from './window-aggregates.ts';

/** One synthetic second. Everything but `rps` defaults to a healthy, unremarkable site. */
export interface SyntheticSecond {
  /** Uncleared requests this second. */
  readonly rps: number;
  /** Cleared requests this second. Default 0. */
  readonly clearedRps?: number;
  /** Distinct uncleared clients this second. Default ⌈rps / 3⌉. */
  readonly distinct?: number;
  /** Share of requests sent to the origin (the rest is served from cache). Default 0.5. */
  readonly originShare?: number;
  readonly errorRate?: number; // default 0.01
  readonly latencyP99Ms?: number; // default 80
  readonly queue?: number; // default 0
  /** Requests shed (counted within the total). Default 0. */
  readonly shed?: number;
  readonly challengesSolved?: number;
  readonly challengesFailed?: number;
  /** Shares of uncleared requests per dimension: [key, share]. */
  readonly heavy?: Partial<ByDimension<ReadonlyArray<readonly [HeavyKey, number]>>>;
}

/** A synthetic site producing one snapshot per simulated second. */
export interface SyntheticSite {
  /** Appends a second ending at nowMs and returns the snapshot a tick at nowMs would see. */
  next(second: SyntheticSecond, nowMs: number): Snapshot;
}

/** Creates a synthetic site with the aggregates' window lengths (defaults 10 s and 3 s). */
export function createSyntheticSite(options: { windowSeconds?: number; recentSeconds?: number } = {}): SyntheticSite {
  const windowSeconds = options.windowSeconds ?? 10;
  const recentSeconds = options.recentSeconds ?? 3;
  const history: Array<{ spec: SyntheticSecond; totals: Totals }> = [];
  return {
    next(spec, nowMs) {
      history.push({ spec, totals: sum([spec]) });
      if (history.length > windowSeconds) history.shift();
      const recent = history.slice(-recentSeconds);
      const dims = byDimension((d) => {
        const merged = new Map<HeavyKey, number>();
        for (const { spec: s } of recent) {
          const shares = s.heavy?.[d];
          if (shares !== undefined) for (const [k, share] of shares) merged.set(k, (merged.get(k) ?? 0) + share * s.rps);
        }
        const list: HeavyHitter[] = [];
        for (const [key, count] of merged) list.push({ key, count, error: 0 });
        return list.length > 1 ? list.sort((a, b) => b.count - a.count) : list;
      });
      let distinctWindow = 0;
      for (const h of history) distinctWindow += distinctOf(h.spec);
      return {
        nowMs,
        second: Math.floor(nowMs / 1000) - 1,
        windowSeconds,
        recentSeconds,
        last: history[history.length - 1]!.totals,
        recent: add(recent.map((h) => h.totals)),
        window: add(history.map((h) => h.totals)),
        requestSeries: history.map((h) => h.totals.requests),
        distinct: {
          last: distinctOf(spec) + Math.ceil((spec.clearedRps ?? 0) / 3),
          unclearedLast: distinctOf(spec),
          window: distinctWindow,
          unclearedWindow: distinctWindow,
        },
        heavy: { total: recent.reduce((a, h) => a + h.spec.rps, 0), seconds: recentSeconds, topK: 64, byDimension: dims },
      };
    },
  };
}

type MutableTotals = { -readonly [K in keyof Totals]: Totals[K] };

/** Sums per-second totals (queueMax and the latency percentiles take the maximum). */
function add(parts: readonly Totals[]): Totals {
  if (parts.length === 1) return parts[0]!;
  const outcomes = {} as Record<Outcome, number>;
  for (const o of OUTCOMES) outcomes[o] = 0;
  const t = { ...emptyTotals(parts.length), outcomes } as MutableTotals;
  for (const p of parts) {
    for (const o of OUTCOMES) outcomes[o] += p.outcomes[o];
    t.requests += p.requests; t.cleared += p.cleared; t.uncleared += p.uncleared; t.clearedServed += p.clearedServed;
    t.originResponses += p.originResponses; t.originErrors += p.originErrors; t.cacheHits += p.cacheHits;
    t.cacheMisses += p.cacheMisses; t.challengesSolved += p.challengesSolved; t.challengesFailed += p.challengesFailed;
    t.queueMax = Math.max(t.queueMax, p.queueMax);
    t.latencyCount += p.latencyCount;
    if (p.latencyP99Ms !== null) t.latencyP99Ms = Math.max(t.latencyP99Ms ?? 0, p.latencyP99Ms);
    if (p.latencyP50Ms !== null) t.latencyP50Ms = Math.max(t.latencyP50Ms ?? 0, p.latencyP50Ms);
  }
  return t;
}

function distinctOf(s: SyntheticSecond): number {
  return s.distinct ?? Math.ceil(s.rps / 3);
}

function sum(seconds: readonly SyntheticSecond[]): Totals {
  const outcomes = {} as Record<Outcome, number>;
  for (const o of OUTCOMES) outcomes[o] = 0;
  const t = { ...emptyTotals(Math.max(seconds.length, 1)), outcomes } as MutableTotals;
  let p99 = 0;
  for (const s of seconds) {
    const cleared = s.clearedRps ?? 0;
    const requests = s.rps + cleared;
    const shed = Math.min(s.shed ?? 0, requests);
    const origin = (requests - shed) * (s.originShare ?? 0.5);
    t.requests += requests;
    t.cleared += cleared;
    t.uncleared += s.rps;
    t.clearedServed += cleared;
    t.originResponses += origin;
    t.originErrors += origin * (s.errorRate ?? 0.01);
    t.cacheHits += requests - shed - origin;
    t.cacheMisses += origin;
    t.challengesSolved += s.challengesSolved ?? 0;
    t.challengesFailed += s.challengesFailed ?? 0;
    t.queueMax = Math.max(t.queueMax, s.queue ?? 0);
    t.latencyCount += origin;
    p99 = Math.max(p99, s.latencyP99Ms ?? 80);
    outcomes.forwarded += origin;
    outcomes.cached += requests - shed - origin;
    outcomes.shed += shed;
  }
  t.latencyP50Ms = t.latencyCount > 0 ? p99 / 4 : null;
  t.latencyP99Ms = t.latencyCount > 0 ? p99 : null;
  return t;
}
