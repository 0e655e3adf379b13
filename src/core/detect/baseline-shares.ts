/**
 * The baseline's shares of keys: per dimension, the share of uncleared traffic each key had, as a slowly
 * decaying Space-Saving summary (default half-life 1 h), which signature rules use to estimate their
 * collateral. A second's contribution is taken from its snapshot at once (`shareSampleOf`, a compact
 * copy of the heavy hitters) and learned later, when the baseline's learning delay has passed. Pure.
 */
import { DIMENSIONS, byDimension, type ByDimension, type Dimension } from './dimensions.ts';
import { createSpaceSaving, type HeavyKey, type SpaceSaving } from './heavy-hitters.ts';
import type { Snapshot } from './window-aggregates.ts';

/** A key's share of baseline uncleared traffic: `share` is the estimate, `bound` an upper bound. */
export interface ShareEstimate {
  readonly share: number;
  readonly bound: number;
}

/** One second's contribution to the shares (per-second weights). */
export interface ShareSample {
  readonly total: number;
  readonly byDimension: ByDimension<ReadonlyArray<readonly [HeavyKey, number]>>;
  /** Per dimension, the share the smallest listed key could have (bounds unlisted keys). */
  readonly tail: ByDimension<number>;
}

/** The persisted form of the shares. */
export interface SharesJson {
  readonly total: number;
  readonly tail: Readonly<Record<Dimension, number>>;
  /** [key, count, error] per monitored key. */
  readonly byDimension: ByDimension<ReadonlyArray<readonly [HeavyKey, number, number]>>;
}

/** The learned shares. */
export interface ShareSummaries {
  learn(sample: ShareSample): void;
  share(dimension: Dimension, key: HeavyKey): ShareEstimate;
  toJSON(): SharesJson;
}

/** The share sample of a snapshot (copies what it needs: the snapshot may be reused). */
export function shareSampleOf(snapshot: Snapshot): ShareSample {
  const { heavy } = snapshot;
  const scale = 1 / Math.max(heavy.seconds, 1);
  return {
    total: heavy.total * scale,
    byDimension: byDimension((d) => heavy.byDimension[d].filter((e) => e.count > 0).map((e) => [e.key, e.count * scale] as const)),
    tail: byDimension((d) => {
      const list = heavy.byDimension[d];
      const smallest = list.length >= heavy.topK && heavy.total > 0 ? list[list.length - 1]! : null;
      return smallest ? (smallest.count + smallest.error) / heavy.total : 0;
    }),
  };
}

/** Creates the summaries (`capacity` keys per dimension), empty or from their persisted form. */
export function createShareSummaries(o: { readonly decay: number; readonly capacity: number }, saved: SharesJson | null): ShareSummaries {
  const shares: ByDimension<SpaceSaving> = byDimension(() => createSpaceSaving({ capacity: o.capacity }));
  const tail: Record<Dimension, number> = byDimension((d) => saved?.tail[d] ?? 0);
  let total = saved?.total ?? 0;
  if (saved) for (const d of DIMENSIONS) shares[d].load(saved.byDimension[d].map(([key, count, error]) => ({ key, count, error })), total);
  return {
    learn(sample) {
      total = total * o.decay + sample.total;
      for (const d of DIMENSIONS) {
        const summary = shares[d];
        summary.decay(o.decay);
        for (const [key, n] of sample.byDimension[d]) summary.offer(key, n);
        tail[d] = tail[d] * o.decay + (1 - o.decay) * sample.tail[d];
      }
    },
    share(dimension, key) {
      if (!(total > 0)) return { share: 0, bound: 1 };
      const summary = shares[dimension];
      const e = summary.get(key);
      if (e !== undefined) return { share: Math.min(e.count / total, 1), bound: Math.min((e.count + e.error) / total, 1) };
      return { share: 0, bound: Math.min(Math.max(summary.min() / total, tail[dimension]), 1) };
    },
    toJSON: () => ({
      total,
      tail: { ...tail },
      byDimension: byDimension((d) => shares[d].entries().map((e) => [e.key, e.count, e.error] as [HeavyKey, number, number])),
    }),
  };
}
