/**
 * The rate profile of an incident — its request rate over time in at most `maxBuckets` numbers — and the
 * comparison of two profiles' shapes. Pure and bounded: the recorder keeps at most `maxBuckets` buckets
 * whatever the incident's length; when they are full, neighbours are merged and the bucket width doubles,
 * so an hour-long incident costs the same memory as a ten-second one.
 *
 * Shape similarity compares *shapes*, not sizes: both profiles are resampled to `SHAPE_POINTS` points over
 * their own duration and scaled to their own peak, then correlated (Pearson). A flood that ramps up in a
 * minute, holds, and stops dead looks like its repeat even at another rate; the peak ratio is reported
 * separately.
 */
import type { RateProfile } from './fingerprint-types.ts';

/** Buckets a profile keeps (default). */
export const DEFAULT_PROFILE_BUCKETS = 128;
/** Points two profiles are resampled to before their shapes are compared. */
export const SHAPE_POINTS = 32;

/** Accumulates one rate per second into a bounded profile. */
export interface RateProfileRecorder {
  /** Adds the next second's request rate. */
  add(rps: number): void;
  /** The profile so far (means per bucket; the last bucket may be partial). */
  profile(): RateProfile;
  readonly seconds: number;
}

/** Creates a recorder of at most `maxBuckets` buckets (even, ≥ 2), starting from `initial` if given. */
export function createRateProfileRecorder(maxBuckets = DEFAULT_PROFILE_BUCKETS, initial?: RateProfile): RateProfileRecorder {
  const cap = Math.max(2, maxBuckets - (maxBuckets % 2));
  let width = Math.max(1, Math.round(initial?.bucket_seconds ?? 1));
  // Sums and second counts per bucket (a continued incident starts from its stored means, as full buckets).
  const sums: number[] = (initial?.values ?? []).slice(0, cap).map((v) => v * width);
  const counts: number[] = sums.map(() => width);
  let seconds = counts.reduce((a, b) => a + b, 0);

  function halve(): void {
    for (let i = 0; i < sums.length / 2; i++) {
      sums[i] = sums[2 * i]! + (sums[2 * i + 1] ?? 0);
      counts[i] = counts[2 * i]! + (counts[2 * i + 1] ?? 0);
    }
    sums.length = Math.ceil(sums.length / 2);
    counts.length = sums.length;
    width *= 2;
  }

  return {
    add(rps) {
      const r = Number.isFinite(rps) && rps > 0 ? rps : 0;
      const last = sums.length - 1;
      if (last >= 0 && counts[last]! < width) {
        sums[last] += r;
        counts[last]!++;
      } else {
        if (sums.length >= cap) halve();
        const tail = sums.length - 1;
        if (tail >= 0 && counts[tail]! < width) {
          sums[tail] += r;
          counts[tail]!++;
        } else {
          sums.push(r);
          counts.push(1);
        }
      }
      seconds++;
    },
    profile: () => ({ bucket_seconds: width, values: sums.map((s, i) => round(s / Math.max(1, counts[i]!))) }),
    get seconds() {
      return seconds;
    },
  };
}

/** The profile of a per-second series (a stored timeline), bounded like the recorder's. */
export function profileOfSeries(rates: readonly number[], maxBuckets = DEFAULT_PROFILE_BUCKETS): RateProfile {
  const rec = createRateProfileRecorder(maxBuckets);
  for (const r of rates) rec.add(r);
  return rec.profile();
}

/** `values` resampled to `n` points over the profile's whole duration (linear), scaled to its peak (0..1). */
export function normalisedShape(profile: RateProfile, n = SHAPE_POINTS): number[] {
  const v = profile.values;
  if (v.length === 0) return [];
  const peak = Math.max(...v);
  if (!(peak > 0)) return new Array<number>(n).fill(0);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = v.length === 1 ? 0 : (i * (v.length - 1)) / (n - 1);
    const lo = Math.floor(x);
    const hi = Math.min(v.length - 1, lo + 1);
    out.push((v[lo]! + (v[hi]! - v[lo]!) * (x - lo)) / peak);
  }
  return out;
}

/**
 * Pearson correlation of two profiles' normalised shapes, in [-1, 1]; null when either is flat or empty
 * (a constant rate has no shape to compare).
 */
export function shapeCorrelation(a: RateProfile, b: RateProfile): number | null {
  const x = normalisedShape(a);
  const y = normalisedShape(b);
  if (x.length === 0 || y.length === 0) return null;
  const mx = x.reduce((s, v) => s + v, 0) / x.length;
  const my = y.reduce((s, v) => s + v, 0) / y.length;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  if (sxx < 1e-12 || syy < 1e-12) return null;
  return round(sxy / Math.sqrt(sxx * syy));
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
