/**
 * The site's normal as an incident records it: the long-run normal the detector compared with when the
 * incident opened — the baseline's slow mean, or the seasonal normal of that hour when larger — which
 * baseline that was, and how the baseline learned (growth cap, learning delay). Older records have only
 * the figures; every added field is optional.
 */
import type { BaselineView, NormalBasis } from '../core/detect/index.ts';
import type { BaselineSummaryJson } from './incident-json.ts';

/** The site's normal as the baseline had it when the incident opened. */
export interface BaselineFacts {
  /** The long-run normal the detector compared with: the slow mean, or this hour's seasonal normal when larger. */
  readonly rps: number;
  readonly unclearedRps: number;
  readonly distinct: number;
  readonly warm: boolean;
  /** Which baseline gave `rps`: `recent`, `hour_of_day` or `hour_of_week`. */
  readonly basis?: NormalBasis;
  readonly slot?: string | null;
  /** The recent (EWMA) baseline's rps, whatever the basis. */
  readonly recentRps?: number;
  readonly growthPerHour?: number;
  readonly learnDelayS?: number;
}

/** The baseline facts of a core baseline view at nowMs (which normal applies depends on the hour). */
export function baselineFacts(b: BaselineView, nowMs?: number): BaselineFacts {
  if (nowMs === undefined) return { rps: b.expected('rps'), unclearedRps: b.expected('unclearedRps'), distinct: b.expected('distinct'), warm: b.warm };
  const rps = b.normal('rps', nowMs);
  const l = b.learning();
  return {
    rps: rps.value, unclearedRps: b.normal('unclearedRps', nowMs).value, distinct: b.expected('distinct'), warm: b.warm,
    basis: rps.basis, slot: rps.slot, recentRps: b.expected('rps'), growthPerHour: l.growthPerHour, learnDelayS: l.delayS,
  };
}

/** The summary's `baseline` of baseline facts. */
export function baselineJson(f: BaselineFacts): BaselineSummaryJson {
  return {
    rps: f.rps, uncleared_rps: f.unclearedRps, distinct_per_second: f.distinct, warm: f.warm,
    ...(f.basis !== undefined ? { basis: f.basis, slot: f.slot ?? null } : {}),
    ...(f.recentRps !== undefined ? { recent_rps: f.recentRps } : {}),
    ...(f.growthPerHour !== undefined && Number.isFinite(f.growthPerHour) ? { growth_per_hour: f.growthPerHour } : {}),
    ...(f.learnDelayS !== undefined ? { learn_delay_s: f.learnDelayS } : {}),
  };
}

