/**
 * Overlap measures of two incidents, each with the error bound of the sketch it is read from, so a verdict
 * can never claim more than the data shows:
 *
 * - `distributionOverlap`: the weighted Jaccard index Σmin/Σmax of two distributions (fractions of each
 *   attack's requests per prefix, ASN, path...). They come from heavy-hitter sketches: each listed fraction
 *   is a guaranteed lower bound, and `1 − Σlisted` of each attack is an unknown tail. With S = Σmin, the
 *   index is S / (2 − S); the listed values give S ≥ S_known, and the tails can add at most
 *   tail_a + tail_b, so the true index lies in [J(S_known), J(min(1, S_known + tail_a + tail_b))].
 * - `sketchOverlap`: the Jaccard index |A∩B| / |A∪B| of two *sets* (every source prefix of each attack)
 *   from their bottom-k sketches (core/detect/kmv.ts). When both sketches hold fewer than k hashes they
 *   hold the whole sets and the value is exact; otherwise the k smallest hashes of the union are a
 *   uniform sample of it without replacement, and the bound is the 95% Wilson score interval of the
 *   share found in both (conservative for sampling without replacement).
 */
import type { Distribution } from '../fingerprint/fingerprint-types.ts';

/** An estimate with the interval the data supports (all in [0, 1]). */
export interface Interval {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
}

/** A distribution overlap, with the values both attacks share (largest common fraction first). */
export interface DistributionOverlap extends Interval {
  readonly shared: ReadonlyArray<{ readonly key: string; readonly a: number; readonly b: number }>;
}

/** A set overlap from two bottom-k sketches. */
export interface SketchOverlap extends Interval {
  /** Hashes of the union sample, and how many of them are in both sets. */
  readonly sample: number;
  readonly both: number;
  /** True when both sketches held their whole sets (the value is exact). */
  readonly exact: boolean;
}

const r4 = (v: number): number => Math.round(v * 1e4) / 1e4;
const jaccardOfS = (s: number): number => (s <= 0 ? 0 : s >= 1 ? 1 : s / (2 - s));

/** The weighted Jaccard index of two distributions with its bound (see the module comment). */
export function distributionOverlap(a: Distribution, b: Distribution): DistributionOverlap {
  let sa = 0, sb = 0, s = 0;
  const shared: Array<{ key: string; a: number; b: number }> = [];
  for (const [k, x] of Object.entries(a)) {
    sa += x;
    const y = b[k];
    if (y !== undefined) {
      s += Math.min(x, y);
      shared.push({ key: k, a: x, b: y });
    }
  }
  for (const y of Object.values(b)) sb += y;
  const tails = Math.max(0, 1 - sa) + Math.max(0, 1 - sb);
  shared.sort((p, q) => Math.min(q.a, q.b) - Math.min(p.a, p.b) || (p.key < q.key ? -1 : 1));
  return { estimate: r4(jaccardOfS(s)), low: r4(jaccardOfS(s)), high: r4(jaccardOfS(Math.min(1, s + tails))), shared };
}

/** 95% Wilson score interval of a proportion `both / n`. */
export function wilson(both: number, n: number, z = 1.96): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const p = both / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** The Jaccard index of two sets from their bottom-k sketches (see the module comment); null when either is empty. */
export function sketchOverlap(a: readonly number[], b: readonly number[], k: number): SketchOverlap | null {
  if (a.length === 0 || b.length === 0) return null;
  const inA = new Set(a);
  const inB = new Set(b);
  const exact = a.length < k && b.length < k;
  const union = [...new Set([...a, ...b])].sort((x, y) => x - y).slice(0, exact ? undefined : k);
  let both = 0;
  for (const h of union) if (inA.has(h) && inB.has(h)) both++;
  const estimate = both / union.length;
  const bound = exact ? { low: estimate, high: estimate } : wilson(both, union.length);
  return { estimate: r4(estimate), low: r4(bound.low), high: r4(bound.high), sample: union.length, both, exact };
}
