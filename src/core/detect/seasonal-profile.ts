/**
 * What normal looks like at this hour of the day and of the week: robust statistics (quantiles, not
 * means) per time slot, so a campaign's regular evening peak is normal and a surge at 3 a.m. is not.
 *
 * Two profiles per metric, in UTC hours: 24 hour-of-day slots (useful after a few days) and 168
 * hour-of-week slots (after a few weeks, they win: a Sunday evening is not a Monday evening). Each slot
 * keeps log-bucket histograms of the per-second values learned in it (four buckets per doubling, from
 * 1/16 per second up), so a median and a high quantile (default p95) are read within +19%: one for the
 * current period (today, this week) and one for the periods before. The reference is read from the
 * periods before only — what this hour usually looks like — so traffic now, however patient, cannot
 * move the normal it is compared with. When a slot is entered in a new period, the current histogram is
 * folded into the past one, whose weights are first multiplied by `decay` (default 0.5): the last few
 * periods dominate and a site that changes is followed.
 *
 * A slot is trusted ("ready") once its past holds `minPeriods` periods (default 2: two days, or two
 * weeks) and `minSamples` seconds (default 300). Its reference at a time t is the highest quantile among
 * the ready slots at t − 30 min, t and t + 30 min, so a peak a little earlier or later than usual is
 * still the usual peak.
 *
 * Poisoning resistance: values enter a slot clamped to `growth` × its past high quantile (or, for a slot
 * without a past, × the recent normal), taken when its period began: a slot gets one hour of learning
 * per period, so it grows at most as fast as the baseline's hourly growth cap allows.
 *
 * Memory: at most 192 slots × 3 metrics × 2 × 124 buckets (sparse; a slot usually has a dozen). Pure.
 */
import {
  pairs, restoreInto, round, SEASONAL_BUCKETS, SEASONAL_METRICS, type Profile, type SeasonalBasis, type SeasonalJson, type SeasonalMetric, type Slot, type SlotJson,
} from './seasonal-json.ts';

export { SEASONAL_BUCKETS, SEASONAL_METRICS, type SeasonalBasis, type SeasonalJson, type SeasonalMetric, type SlotJson } from './seasonal-json.ts';

/** Options of a seasonal profile (defaults in the comments). */
export interface SeasonalOptions {
  /** Default true; false keeps no profile (the detector then uses the recent normal only). */
  readonly enabled?: boolean;
  /** Past periods (days, weeks) a slot needs before it is trusted. Default 2. */
  readonly minPeriods?: number;
  /** Seconds learned a slot needs before it is trusted. Default 300. */
  readonly minSamples?: number;
  /** The high quantile the detector compares with. Default 0.95. */
  readonly quantile?: number;
  /** Weight kept by a slot's older values each time a new period begins. Default 0.5. */
  readonly decay?: number;
  /** Values enter a slot clamped to this × its normal when the period began. Default 2 (the hourly growth cap). */
  readonly growth?: number;
}

/** The seasonal normal of one metric at one time. */
export interface SeasonalReference {
  readonly basis: SeasonalBasis;
  /** The slot at that time, e.g. `Tue 20:00 UTC` or `20:00 UTC`. */
  readonly slot: string;
  /** The high quantile (the larger of this slot's and its ready neighbours'). */
  readonly high: number;
  readonly median: number;
  readonly periods: number;
  readonly samples: number;
}

/** One slot as the detection view shows it: its past periods (what the reference reads) and the current one. */
export interface SlotView {
  readonly slot: string;
  readonly periods: number;
  readonly samples: number;
  readonly currentSamples: number;
  readonly ready: boolean;
  readonly median: number | null;
  readonly high: number | null;
}

/** A learning seasonal profile. */
export interface SeasonalProfile {
  readonly enabled: boolean;
  /** Learns one per-second value observed in the second starting at `secondMs`; `recentNormal` is the baseline's (null while it warms up). */
  learn(metric: SeasonalMetric, value: number, secondMs: number, recentNormal: number | null): void;
  /** The trusted seasonal normal at nowMs (hour-of-week first, then hour-of-day), or null. */
  reference(metric: SeasonalMetric, nowMs: number): SeasonalReference | null;
  /** Every slot of both profiles for one metric. */
  view(metric: SeasonalMetric): { hourOfDay: SlotView[]; hourOfWeek: SlotView[] };
  toJSON(): SeasonalJson;
  /** Fill: slots with values, histogram entries, values clamped by the growth cap. */
  stats(): { slots: number; entries: number; capped: number };
}

const HOUR_MS = 3_600_000;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** Lowest value with its own bucket (per second); below it everything is bucket 0. */
const MIN_VALUE = 1 / 16;
/** Weights below this are dropped when a slot decays (keeps slots sparse). */
const TINY = 0.01;

/** The bucket of a per-second value. */
export function seasonalBucket(v: number): number {
  if (!(v >= MIN_VALUE)) return 0;
  const b = 1 + Math.floor(4 * Math.log2(v / MIN_VALUE));
  return b >= SEASONAL_BUCKETS ? SEASONAL_BUCKETS - 1 : b;
}

/** The value reported for a bucket (its upper bound). */
export function seasonalBucketValue(b: number): number {
  return b <= 0 ? MIN_VALUE : MIN_VALUE * 2 ** (b / 4);
}

const hh = (h: number): string => `${String(h).padStart(2, '0')}:00 UTC`;

function profile(basis: SeasonalBasis): Profile {
  const week = basis === 'hour_of_week';
  const size = week ? 168 : 24;
  const slots = {} as Record<SeasonalMetric, Array<Slot | null>>;
  for (const m of SEASONAL_METRICS) slots[m] = new Array<Slot | null>(size).fill(null);
  return {
    basis,
    size,
    slots,
    // Epoch day 0 (1970-01-01) was a Thursday: weekday = (day + 4) mod 7, weeks start on Sunday.
    slotOf: (ms) => {
      const h = Math.floor(ms / HOUR_MS);
      return week ? (((Math.floor(h / 24) + 4) % 7) * 24 + (h % 24)) : h % 24;
    },
    periodOf: (ms) => {
      const d = Math.floor(ms / (24 * HOUR_MS));
      return week ? Math.floor((d + 4) / 7) : d;
    },
    label: (slot) => (week ? `${DAYS[Math.floor(slot / 24)]} ${hh(slot % 24)}` : hh(slot)),
  };
}

function quantiles(slot: Slot, q: number): { median: number; high: number } {
  if (slot.cache !== null) return slot.cache;
  const keys = [...slot.weights.keys()].sort((a, b) => a - b);
  let total = 0;
  for (const k of keys) total += slot.weights.get(k)!;
  const at = (p: number): number => {
    const rank = p * total;
    let seen = 0;
    for (const k of keys) {
      seen += slot.weights.get(k)!;
      if (seen >= rank) return seasonalBucketValue(k);
    }
    return seasonalBucketValue(keys.at(-1) ?? 0);
  };
  slot.cache = total > 0 ? { median: at(0.5), high: at(q) } : { median: 0, high: 0 };
  return slot.cache;
}

/** Creates an empty profile, or one restored from `toJSON` output (`BULWARK_ERR_DETECT_BASELINE_INVALID` if malformed). */
export function createSeasonalProfile(options: SeasonalOptions = {}, saved?: unknown): SeasonalProfile {
  const enabled = options.enabled ?? true;
  const minPeriods = Math.max(1, options.minPeriods ?? 2);
  const minSamples = Math.max(1, options.minSamples ?? 300);
  const q = Math.min(1, Math.max(0.5, options.quantile ?? 0.95));
  const decay = Math.min(1, Math.max(0, options.decay ?? 0.5));
  const growth = Math.max(1, options.growth ?? 2);
  const profiles = [profile('hour_of_week'), profile('hour_of_day')] as const;
  let capped = 0;
  if (saved !== undefined && saved !== null) restoreInto(profiles, saved);

  const ready = (s: Slot | null): s is Slot => s !== null && s.periods >= minPeriods && s.samples >= minSamples;

  function learnInto(p: Profile, metric: SeasonalMetric, value: number, secondMs: number, recentNormal: number | null): void {
    const i = p.slotOf(secondMs);
    const period = p.periodOf(secondMs);
    let s = p.slots[metric][i];
    if (s === null) p.slots[metric][i] = s = { periods: 0, lastPeriod: period, cap: Infinity, samples: 0, weights: new Map(), currentSamples: 0, current: new Map(), cache: null };
    if (s.lastPeriod !== period || s.currentSamples === 0) {
      if (s.lastPeriod !== period) fold(s);
      s.lastPeriod = period;
      const high = s.samples > 0 ? quantiles(s, q).high : null;
      s.cap = high !== null ? growth * Math.max(high, MIN_VALUE) : recentNormal === null ? Infinity : growth * Math.max(recentNormal, 1);
    }
    let x = value;
    if (x > s.cap) {
      x = s.cap;
      capped++;
    }
    const b = seasonalBucket(x);
    s.current.set(b, (s.current.get(b) ?? 0) + 1);
    s.currentSamples++;
  }

  /** Folds the current period into the past (decaying the past first). */
  function fold(s: Slot): void {
    if (s.currentSamples === 0) return;
    for (const [k, w] of s.weights) {
      if (w * decay < TINY) s.weights.delete(k);
      else s.weights.set(k, w * decay);
    }
    for (const [k, w] of s.current) s.weights.set(k, (s.weights.get(k) ?? 0) + w);
    s.samples = s.samples * decay + s.currentSamples;
    s.periods++;
    s.current.clear();
    s.currentSamples = 0;
    s.cache = null;
  }

  function slotView(p: Profile, s: Slot | null, i: number): SlotView {
    if (s === null) return { slot: p.label(i), periods: 0, samples: 0, currentSamples: 0, ready: false, median: null, high: null };
    const { median, high } = s.samples > 0 ? quantiles(s, q) : { median: null, high: null };
    return { slot: p.label(i), periods: s.periods, samples: Math.round(s.samples), currentSamples: s.currentSamples, ready: ready(s), median, high };
  }

  return {
    enabled,
    learn(metric, value, secondMs, recentNormal) {
      if (!enabled || !Number.isFinite(value) || value < 0) return;
      for (const p of profiles) learnInto(p, metric, value, secondMs, recentNormal);
    },
    reference(metric, nowMs) {
      if (!enabled) return null;
      for (const p of profiles) {
        const here = p.slots[metric][p.slotOf(nowMs)]!;
        if (!ready(here)) continue;
        let high = quantiles(here, q).high;
        for (const t of [nowMs - HOUR_MS / 2, nowMs + HOUR_MS / 2]) {
          const n = p.slots[metric][p.slotOf(t)]!;
          if (ready(n)) high = Math.max(high, quantiles(n, q).high);
        }
        return { basis: p.basis, slot: p.label(p.slotOf(nowMs)), high, median: quantiles(here, q).median, periods: here.periods, samples: Math.round(here.samples) };
      }
      return null;
    },
    view(metric) {
      const [week, day] = profiles;
      return {
        hourOfDay: day.slots[metric].map((s, i) => slotView(day, s, i)),
        hourOfWeek: week.slots[metric].map((s, i) => slotView(week, s, i)),
      };
    },
    toJSON() {
      const dump = (p: Profile) => {
        const out: Record<string, Array<SlotJson | null>> = {};
        for (const m of SEASONAL_METRICS) {
          out[m] = p.slots[m].map((s) => (s === null ? null : [s.periods, s.lastPeriod, Number.isFinite(s.cap) ? s.cap : null, round(s.samples), pairs(s.weights), s.currentSamples, pairs(s.current)] as const));
        }
        return out;
      };
      return { version: 1, week: dump(profiles[0]), day: dump(profiles[1]) };
    },
    stats() {
      let slots = 0;
      let entries = 0;
      for (const p of profiles) for (const m of SEASONAL_METRICS) for (const s of p.slots[m]) if (s !== null) { slots++; entries += s.weights.size + s.current.size; }
      return { slots, entries, capped };
    },
  };
}
