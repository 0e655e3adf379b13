/**
 * When visitors' logical requests started and how they ended, so the report can tell the onset of an
 * attack apart from the rest: the requests started during the visitors' warm-up, in the first seconds
 * of the attack (the onset, before any detector has decided), and after. Bounded: at most `cap` samples
 * (the visitors' own request budget); beyond it samples are counted as dropped, never stored.
 *
 * The *onset* figure: of the visitors' visits — pages, feeds, API calls, not a page's subresources —
 * first sent in the attack's first `windowMs`, the share served within `withinMs` of that first send
 * (retries of a page that retries itself, and challenges, included): "nobody real gets stuck at the
 * onset". The subresources of those pages are counted apart (`assets`): one that fails leaves a page
 * without its style, not a visitor stuck.
 */
import type { AnswerOutcome } from '../answer-outcome.ts';
import type { VisitorKind } from './visitor-stats.ts';

/** The onset: the attack's first seconds, before a detector has decided (onset browsers arrive in it). */
export const ONSET_WINDOW_MS = 5_000;
/** An onset request counts as served in time when served within this long of its first send. */
export const ONSET_SERVED_WITHIN_MS = 10_000;

/** Which simulated visitors a sample came from: the usual ones, those arriving during the onset, or those sharing one address. */
export type VisitorGroup = 'regular' | 'onset' | 'shared';

/** One logical request. */
export interface VisitorSample {
  readonly kind: VisitorKind;
  readonly group: VisitorGroup;
  /** A page's subresource (style, script, image) rather than a visit of its own. */
  readonly asset: boolean;
  /** Wall-clock ms of its first send. */
  readonly startMs: number;
  readonly latencyMs: number;
  readonly served: boolean;
  readonly outcome: AnswerOutcome;
  readonly retries: number;
}

/** Collects samples (see the module comment). */
export interface VisitorTimeline {
  add(sample: VisitorSample): void;
  samples(): readonly VisitorSample[];
  /** Samples not kept because the cap was reached. */
  dropped(): number;
}

/** Creates a timeline holding at most `cap` samples. */
export function createVisitorTimeline(cap: number): VisitorTimeline {
  const kept: VisitorSample[] = [];
  let dropped = 0;
  return {
    add(sample) {
      if (sample.outcome === 'aborted') return; // cut short by the run's end: not counted anywhere
      if (kept.length < cap) kept.push(sample);
      else dropped++;
    },
    samples: () => kept,
    dropped: () => dropped,
  };
}

/** Visitors' figures over one stretch of the run. */
export interface PhaseFigures {
  readonly sent: number;
  readonly served: number;
  /** served / sent (null when nothing was sent). */
  readonly servedRatio: number | null;
  /** Latency of the served requests, first send to final answer (ms); null when none. */
  readonly p50Ms: number | null;
  readonly p90Ms: number | null;
  readonly maxMs: number | null;
  /** Requests that followed a page retrying itself at least once. */
  readonly retried: number;
  readonly notServedBy: Readonly<Partial<Record<AnswerOutcome, number>>>;
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}

/** Figures of the samples first sent in [fromMs, toMs). */
export function phaseFigures(samples: readonly VisitorSample[], fromMs: number, toMs: number): PhaseFigures {
  const inside = samples.filter((s) => s.startMs >= fromMs && s.startMs < toMs);
  const served = inside.filter((s) => s.served);
  const times = served.map((s) => s.latencyMs).sort((a, b) => a - b);
  const notServedBy: Partial<Record<AnswerOutcome, number>> = {};
  for (const s of inside) if (!s.served) notServedBy[s.outcome] = (notServedBy[s.outcome] ?? 0) + 1;
  return {
    sent: inside.length,
    served: served.length,
    servedRatio: inside.length === 0 ? null : served.length / inside.length,
    p50Ms: quantile(times, 0.5),
    p90Ms: quantile(times, 0.9),
    maxMs: times.length === 0 ? null : Math.round(times[times.length - 1]! * 10) / 10,
    retried: inside.filter((s) => s.retries > 0).length,
    notServedBy,
  };
}

/** The onset figure (see the module comment). */
export interface OnsetFigures {
  readonly windowS: number;
  readonly withinS: number;
  /** Visitors' visits (not subresources) first sent in the onset window. */
  readonly requests: number;
  readonly servedWithin: number;
  /** servedWithin / requests (null when no visit started in the window). */
  readonly ratio: number | null;
  /** The same for the visitors that arrived during the onset (their group), and those behind one address. */
  readonly arrivals: { readonly requests: number; readonly servedWithin: number; readonly ratio: number | null };
  readonly shared: { readonly requests: number; readonly servedWithin: number; readonly ratio: number | null };
  /** The subresources of pages (styles, scripts, images) first asked for in the window. */
  readonly assets: { readonly requests: number; readonly servedWithin: number; readonly ratio: number | null };
}

function within(samples: readonly VisitorSample[], withinMs: number): { requests: number; servedWithin: number; ratio: number | null } {
  const servedWithin = samples.filter((s) => s.served && s.latencyMs <= withinMs).length;
  return { requests: samples.length, servedWithin, ratio: samples.length === 0 ? null : servedWithin / samples.length };
}

/** Computes the onset figure for an attack that started at `attackStartMs`. */
export function onsetFigures(samples: readonly VisitorSample[], attackStartMs: number, windowMs = ONSET_WINDOW_MS, withinMs = ONSET_SERVED_WITHIN_MS): OnsetFigures {
  const window = samples.filter((s) => s.startMs >= attackStartMs && s.startMs < attackStartMs + windowMs);
  const visits = window.filter((s) => !s.asset);
  return {
    windowS: windowMs / 1000,
    withinS: withinMs / 1000,
    ...within(visits, withinMs),
    arrivals: within(visits.filter((s) => s.group === 'onset'), withinMs),
    shared: within(visits.filter((s) => s.group === 'shared'), withinMs),
    assets: within(window.filter((s) => s.asset), withinMs),
  };
}
