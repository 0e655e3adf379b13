/**
 * The shapes of a seasonal profile (seasonal-profile.ts) — its metrics, buckets, slots — and its
 * persisted form: a slot's histograms as sorted [bucket, weight] pairs, read back with validation (`BULWARK_ERR_DETECT_BASELINE_INVALID`
 * on anything malformed, so a damaged baseline is re-learned rather than trusted). Pure.
 */
import { BulwarkError } from '../errors.ts';

/** The metrics with a seasonal profile: the ones the surge and flash-crowd signals compare. */
export const SEASONAL_METRICS = ['rps', 'unclearedRps', 'unclearedDistinct'] as const;
/** One seasonal metric's name. */
export type SeasonalMetric = (typeof SEASONAL_METRICS)[number];
/** Which profile a seasonal reference came from. */
export type SeasonalBasis = 'hour_of_day' | 'hour_of_week';

/** The persisted form (plain JSON): per profile and metric, one entry per slot (null when empty). */
export interface SeasonalJson {
  readonly version: 1;
  readonly day: Readonly<Record<string, ReadonlyArray<SlotJson | null>>>;
  readonly week: Readonly<Record<string, ReadonlyArray<SlotJson | null>>>;
}

/** [past periods, current period, cap (null: none), past samples, past [[bucket, weight], ...], current samples, current [[bucket, weight], ...]]. */
export type SlotJson = readonly [number, number, number | null, number, ReadonlyArray<readonly [number, number]>, number, ReadonlyArray<readonly [number, number]>];

/** Buckets: 0, then four per doubling from MIN_VALUE to beyond 10⁸ per second. */
export const SEASONAL_BUCKETS = 124;
/** One slot's histograms (mutable; seasonal-json.ts restores them). */
export interface Slot {
  /** Past periods folded into `weights`. */
  periods: number;
  /** The period `current` belongs to. */
  lastPeriod: number;
  cap: number;
  /** Past samples (decayed). */
  samples: number;
  readonly weights: Map<number, number>;
  currentSamples: number;
  readonly current: Map<number, number>;
  cache: { median: number; high: number } | null;
}

/** One profile: its slots per metric and how times map onto them. */
export interface Profile {
  readonly basis: SeasonalBasis;
  readonly size: number;
  slotOf(ms: number): number;
  periodOf(ms: number): number;
  label(slot: number): string;
  readonly slots: Record<SeasonalMetric, Array<Slot | null>>;
}


/** A weight rounded to 1/1000 (keeps the JSON short). */
export const round = (w: number): number => Math.round(w * 1000) / 1000;
/** A histogram as sorted [bucket, weight] pairs. */
export const pairs = (m: ReadonlyMap<number, number>): Array<readonly [number, number]> => [...m].sort((a, b) => a[0] - b[0]).map(([k, w]) => [k, round(w)] as const);

function invalid(what: string): never {
  throw new BulwarkError('BULWARK_ERR_DETECT_BASELINE_INVALID', `persisted seasonal profile is invalid: ${what}`, { source: 'internal' });
}

function finite(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) invalid(`${what} is not a finite non-negative number`);
  return v;
}

function histogram(list: readonly unknown[], what: string): Map<number, number> {
  const weights = new Map<number, number>();
  for (const pair of list) {
    if (!Array.isArray(pair) || pair.length !== 2) invalid(`${what} has a bad bucket`);
    const b = finite(pair[0], `${what} bucket`);
    if (!Number.isInteger(b) || b >= SEASONAL_BUCKETS) invalid(`${what} bucket ${b} out of range`);
    weights.set(b, finite(pair[1], `${what} weight`));
  }
  return weights;
}

/** Fills `profiles` from a persisted profile; throws BULWARK_ERR_DETECT_BASELINE_INVALID when malformed. */
export function restoreInto(profiles: readonly Profile[], json: unknown): void {
  const j = json as Partial<SeasonalJson> | null;
  if (typeof j !== 'object' || j === null || j.version !== 1) invalid('not a version 1 object');
  for (const p of profiles) {
    const part = (p.basis === 'hour_of_week' ? j.week : j.day) as Record<string, unknown> | undefined;
    if (typeof part !== 'object' || part === null) invalid(`${p.basis} missing`);
    for (const m of SEASONAL_METRICS) {
      const list = part[m];
      if (!Array.isArray(list) || list.length !== p.size) invalid(`${p.basis}.${m} is not ${p.size} slots`);
      list.forEach((e: unknown, i: number) => {
        if (e === null) return;
        const what = `${p.basis}.${m}[${i}]`;
        if (!Array.isArray(e) || e.length !== 7 || !Array.isArray(e[4]) || !Array.isArray(e[6])) invalid(`${what} is not a slot`);
        p.slots[m][i] = {
          periods: finite(e[0], `${what} periods`), lastPeriod: e[1] as number, cap: e[2] === null ? Infinity : finite(e[2], `${what} cap`),
          samples: finite(e[3], `${what} samples`), weights: histogram(e[4] as unknown[], what),
          currentSamples: finite(e[5], `${what} current samples`), current: histogram(e[6] as unknown[], what), cache: null,
        };
        if (typeof e[1] !== 'number' || !Number.isFinite(e[1])) invalid(`${what} period`);
      });
    }
  }
}
