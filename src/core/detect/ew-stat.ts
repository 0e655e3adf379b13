/**
 * One learned metric of a baseline: a fast EWMA (the recent level), a slow EWMA (the long-run normal),
 * the noise variance from successive differences (σ² = EW mean of ½(xₜ − xₜ₋₁)², which a daily curve
 * or a ramp barely inflates), and a growth ceiling.
 *
 * Once warm, each sample is winsorised before it is learned: clamped to
 * [max(fast, slow) − clampZ·σ, ceiling + clampZ·σ]. The ceiling is the learned normal, max(fast, slow),
 * except that it rises by at most `growthPerSample` per learned second (default: ×2 per hour of
 * learning) and never below `floor`; it follows a fall at once. With steady traffic the ceiling sits at
 * the normal and only outliers beyond clampZ·σ are clipped, so the means stay unbiased; when traffic
 * rises faster than the cap allows — a slow ramp, teaching bursts — every sample is clipped to the
 * ceiling plus one noise band, so the means run ahead of the ceiling by at most that band, and the
 * normal the baseline reports (the means held under the ceiling) grows at most ×2 an hour however
 * patiently an attacker pushes it. Pure.
 */

/** Exponentially weighted statistics of one metric (JSON-safe). */
export interface EwStat {
  readonly fast: number;
  readonly slow: number;
  readonly variance: number;
  /** Samples learned. */
  readonly n: number;
  /** The last (clamped) sample learned. */
  readonly last: number;
  /** The growth-capped learned normal (see the module comment). */
  readonly ceiling: number;
}

/** A stat being learned. */
export type MutableStat = { -readonly [K in keyof EwStat]: EwStat[K] };

/** How a stat learns (derived once from the baseline's options). */
export interface StatParams {
  readonly aFast: number;
  readonly aSlow: number;
  readonly aVar: number;
  readonly clampZ: number;
  /** Largest factor the ceiling may rise by per learned sample (≥ 1). */
  readonly growthPerSample: number;
}

/** Smoothing factor of an EWMA with the given half-life in samples. */
export function alpha(halfLifeS: number): number {
  return 1 - 2 ** (-1 / Math.max(halfLifeS, 1e-9));
}

/** A stat that has learned nothing. */
export function emptyStat(): MutableStat {
  return { fast: 0, slow: 0, variance: 0, n: 0, last: 0, ceiling: 0 };
}

/**
 * Learns one sample into `s` (mutated). `warm`: clamping and the growth cap apply. `spread` is the
 * metric's σ with its floors; `floor` the lowest ceiling (so a near-zero normal can still grow). Returns
 * whether the growth cap clipped the sample.
 */
export function learnStat(s: MutableStat, value: number, p: StatParams, warm: boolean, spread: number, floor: number): boolean {
  if (s.n === 0) {
    s.fast = s.slow = s.last = s.ceiling = value;
    s.n = 1;
    return false;
  }
  let x = value;
  let capped = false;
  if (warm) {
    const e = Math.max(s.fast, s.slow);
    const band = p.clampZ * spread;
    const top = Math.min(e, s.ceiling) + band;
    if (x > top) {
      capped = s.ceiling < e;
      x = top;
    }
    x = Math.max(x, e - band);
  }
  // Until 1/n drops below a half-life's alpha, average cumulatively: an EWMA started from its first
  // sample would otherwise remember that sample for hours (the slow one has a 1 h half-life).
  const early = 1 / (s.n + 1);
  const d = x - s.last;
  s.variance += Math.max(p.aVar, early) * (0.5 * d * d - s.variance);
  s.fast += Math.max(p.aFast, early) * (x - s.fast);
  s.slow += Math.max(p.aSlow, early) * (x - s.slow);
  s.last = x;
  s.n++;
  const normal = Math.max(s.fast, s.slow);
  s.ceiling = warm ? Math.min(normal, Math.max(s.ceiling, floor) * p.growthPerSample) : normal;
  return capped;
}
