/**
 * The measures two attack fingerprints are compared on, one row each, grouped as a reader weighs them:
 * where the traffic came from (`network`: source prefixes as a distribution and as a whole set, ASNs,
 * countries, addresses), what it did (`pattern`: paths, methods, user agents, header fingerprints, rate
 * shape), and when (`timing`: gap, time of day, duration and peak). Each row carries its estimate, the
 * interval its sketch supports, whether both incidents recorded it, and the shared values behind it.
 */
import type { AttackFingerprint, DistributionField, HttpAttackVector } from '../fingerprint/fingerprint-types.ts';
import { shapeCorrelation } from '../fingerprint/rate-profile.ts';
import { distributionOverlap, sketchOverlap } from './overlap.ts';

/** A distribution describes too little of an attack below this coverage to be compared. */
export const MIN_COVERAGE = 0.1;

/** One row of the comparison. Fractions and indices are in [0, 1]; null when not available. */
export interface MeasureJson {
  readonly id: string;
  readonly group: 'network' | 'pattern' | 'timing';
  readonly label: string;
  readonly available: boolean;
  readonly estimate: number | null;
  readonly low: number | null;
  readonly high: number | null;
  /** Why unavailable, or what the value rests on (sample sizes, coverage, shared values). */
  readonly detail: string;
  /** Values both attacks share: fraction in this incident and in the other (at most 10). */
  readonly shared?: ReadonlyArray<{ readonly key: string; readonly this: number; readonly other: number }>;
}

const pct = (v: number): string => `${(v * 100).toFixed(v > 0 && v < 0.01 ? 2 : 1)}%`;

/** A distribution row: weighted Jaccard with its bound, when both attacks describe enough of their requests with it. */
function distributionMeasure(id: string, group: MeasureJson['group'], label: string, field: DistributionField, a: HttpAttackVector, b: HttpAttackVector): MeasureJson {
  const ca = a.coverage[field];
  const cb = b.coverage[field];
  if (ca < MIN_COVERAGE || cb < MIN_COVERAGE) {
    const why = ca === 0 && cb === 0 ? 'not recorded in either incident' : `too little described (listed values cover ${pct(ca)} and ${pct(cb)} of the requests)`;
    return { id, group, label, available: false, estimate: null, low: null, high: null, detail: why };
  }
  const o = distributionOverlap(a[field], b[field]);
  const shared = o.shared.slice(0, 10).map((s) => ({ key: s.key, this: s.a, other: s.b }));
  const names = shared.slice(0, 3).map((s) => `${s.key} (${pct(s.this)} / ${pct(s.other)})`).join(', ');
  const detail = `listed values cover ${pct(ca)} and ${pct(cb)}; ${o.shared.length} shared${names ? `: ${names}` : ''}`;
  return { id, group, label, available: true, estimate: o.estimate, low: o.low, high: o.high, detail, shared };
}

function sketchMeasure(a: HttpAttackVector, b: HttpAttackVector): MeasureJson {
  const base = { id: 'prefix_set', group: 'network' as const, label: 'Source prefixes, every one (bottom-k sketch)' };
  const o = sketchOverlap(a.source_prefix_sketch.hashes, b.source_prefix_sketch.hashes, Math.min(a.source_prefix_sketch.k, b.source_prefix_sketch.k));
  if (o === null) return { ...base, available: false, estimate: null, low: null, high: null, detail: 'no prefix sketch recorded in one of the incidents' };
  const detail = o.exact
    ? `exact: both sketches hold every prefix (${a.source_prefix_sketch.hashes.length} and ${b.source_prefix_sketch.hashes.length}), ${o.both} in both`
    : `${o.both} of a union sample of ${o.sample} prefixes in both; 95% interval`;
  return { ...base, available: true, estimate: o.estimate, low: o.low, high: o.high, detail };
}

function addressMeasure(a: HttpAttackVector, b: HttpAttackVector): MeasureJson {
  const base = { id: 'addresses', group: 'network' as const, label: 'Top source addresses' };
  if (a.source_ips === undefined || b.source_ips === undefined || a.source_ips.length === 0 || b.source_ips.length === 0) {
    return { ...base, available: false, estimate: null, low: null, high: null, detail: 'address-level data not kept (retention or truncation) in one of the incidents' };
  }
  const setB = new Set(b.source_ips);
  const both = a.source_ips.filter((x) => setB.has(x));
  const union = new Set([...a.source_ips, ...b.source_ips]).size;
  const j = Math.round((both.length / union) * 1e4) / 1e4;
  // Top lists only: addresses beyond them are unknown, so the overlap of the whole sets may be anything.
  return { ...base, available: true, estimate: j, low: null, high: null, detail: `${both.length} of ${union} listed addresses in both (top lists only, no bound)` };
}

function rateMeasure(x: AttackFingerprint, y: AttackFingerprint): MeasureJson {
  const base = { id: 'rate_shape', group: 'pattern' as const, label: 'Rate shape over time (correlation)' };
  const c = shapeCorrelation(x.rate_profile, y.rate_profile);
  if (c === null) return { ...base, available: false, estimate: null, low: null, high: null, detail: 'a flat or missing rate profile has no shape to compare' };
  const v = Math.max(0, c);
  return { ...base, available: true, estimate: v, low: null, high: null, detail: `Pearson correlation ${c.toFixed(2)} of the normalised profiles; peaks ${Math.round(x.peak_rps)} and ${Math.round(y.peak_rps)} req/s` };
}

function ms(iso: string | null): number | null {
  if (iso === null) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

function timingMeasures(x: AttackFingerprint, y: AttackFingerprint): MeasureJson[] {
  const xs = ms(x.time_start);
  const ys = ms(y.time_start);
  const out: MeasureJson[] = [];
  if (xs !== null && ys !== null) {
    const [first, second] = xs <= ys ? [x, y] : [y, x];
    const end = ms(first.time_end) ?? (ms(first.time_start) ?? 0) + first.duration_seconds * 1000;
    const gapS = Math.max(0, Math.round(((ms(second.time_start) ?? 0) - end) / 1000));
    out.push({ id: 'gap', group: 'timing', label: 'Time between them', available: true, estimate: null, low: null, high: null, detail: `${formatGap(gapS)} from the end of the earlier to the start of the later` });
    const hx = (xs % 86_400_000) / 3_600_000;
    const hy = (ys % 86_400_000) / 3_600_000;
    const dh = Math.min(Math.abs(hx - hy), 24 - Math.abs(hx - hy));
    out.push({ id: 'time_of_day', group: 'timing', label: 'Start, time of day (UTC)', available: true, estimate: null, low: null, high: null, detail: `${hhmm(xs)} and ${hhmm(ys)}: ${dh.toFixed(1)} h apart` });
  }
  const dr = ratio(x.duration_seconds, y.duration_seconds);
  out.push({ id: 'duration', group: 'timing', label: 'Duration (shorter ÷ longer)', available: dr !== null, estimate: dr, low: null, high: null, detail: `${x.duration_seconds} s and ${y.duration_seconds} s` });
  const pr = ratio(x.peak_rps, y.peak_rps);
  out.push({ id: 'peak', group: 'timing', label: 'Peak rate (lower ÷ higher)', available: pr !== null, estimate: pr, low: null, high: null, detail: `${Math.round(x.peak_rps)} and ${Math.round(y.peak_rps)} req/s` });
  return out;
}

function ratio(a: number, b: number): number | null {
  if (!(a > 0) || !(b > 0)) return null;
  return Math.round((Math.min(a, b) / Math.max(a, b)) * 1e4) / 1e4;
}

function hhmm(t: number): string {
  return new Date(t).toISOString().slice(11, 16);
}

/** `3 d 4 h`, `2 h 05 min`, `12 min 30 s`, `45 s`. */
export function formatGap(s: number): string {
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

/** Every measure of `x` (this incident) against `y` (the other one), in report order. */
export function measuresOf(x: AttackFingerprint, y: AttackFingerprint): MeasureJson[] {
  const a = x.attack_vectors[0];
  const b = y.attack_vectors[0];
  return [
    distributionMeasure('prefix_distribution', 'network', 'Source prefixes, by share of requests', 'source_prefixes', a, b),
    sketchMeasure(a, b),
    distributionMeasure('asn_distribution', 'network', 'Source networks (ASNs), by share', 'source_asns', a, b),
    distributionMeasure('country_distribution', 'network', 'Source countries, by share', 'source_countries', a, b),
    addressMeasure(a, b),
    distributionMeasure('http_uri', 'pattern', 'Paths (http_uri)', 'http_uri', a, b),
    distributionMeasure('http_method', 'pattern', 'Methods (http_method)', 'http_method', a, b),
    distributionMeasure('http_user_agent', 'pattern', 'User agents (http_user_agent)', 'http_user_agent', a, b),
    distributionMeasure('http_header_fingerprint', 'pattern', 'Header-order fingerprints', 'http_header_fingerprint', a, b),
    rateMeasure(x, y),
    ...timingMeasures(x, y),
  ];
}

/** The measure with `id`, or undefined. */
export function measure(list: readonly MeasureJson[], id: string): MeasureJson | undefined {
  return list.find((m) => m.id === id);
}
