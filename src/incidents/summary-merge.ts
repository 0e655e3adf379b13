/**
 * Merging the core summaries of one incident observed in two parts (before and after a restart), so a
 * continued incident reports its tops and rate shape over its whole life.
 */
import { DIMENSIONS, type Dimension, type IncidentSummary, type KeyShare } from '../core/detect/index.ts';

/** Merges two core summaries (a continued incident: before and after the restart), weighting by requests. */
export function mergeSummaries(a: IncidentSummary | null, b: IncidentSummary, topN: number): IncidentSummary {
  if (a === null || a.totalRequests <= 0) return a === null ? b : { ...b, rate: mergeRate(a, b) };
  const total = a.totalRequests + b.totalRequests;
  const top = {} as Record<Dimension, KeyShare[]>;
  for (const d of DIMENSIONS) {
    const counts = new Map<string | number, number>();
    for (const e of a.top[d]) counts.set(e.key, (counts.get(e.key) ?? 0) + e.share * a.totalRequests);
    for (const e of b.top[d]) counts.set(e.key, (counts.get(e.key) ?? 0) + e.share * b.totalRequests);
    top[d] = [...counts].map(([key, c]) => ({ key, share: total > 0 ? c / total : 0 })).sort((x, y) => y.share - x.share).slice(0, topN);
  }
  return { version: 1, totalRequests: total, top, rate: mergeRate(a, b) };
}

function mergeRate(a: IncidentSummary, b: IncidentSummary): IncidentSummary['rate'] {
  const dur = a.rate.durationS + b.rate.durationS;
  return {
    peakRps: Math.max(a.rate.peakRps, b.rate.peakRps),
    meanRps: dur > 0 ? (a.rate.meanRps * a.rate.durationS + b.rate.meanRps * b.rate.durationS) / dur : 0,
    durationS: dur,
    rampS: a.rate.peakRps >= b.rate.peakRps ? a.rate.rampS : a.rate.durationS + b.rate.rampS,
  };
}
