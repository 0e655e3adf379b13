/**
 * Cold start: a detector (re)started in the middle of a flood with no saved baseline has nothing to
 * compare a surge with, so its surge signals stay silent until `minBaselineSamples` seconds are learned —
 * and learning itself waits `learnDelayS`. Without this rule such a site stays `normal` for the whole
 * attack, and the attack's own seconds could later be learned as normal.
 *
 * While the baseline is not established this rule looks for conservative absolute evidence instead:
 * the origin saturated — the admission queue long or shedding, by the distress thresholds
 * (`distress.*.queue`, `distress.*.shedShare`) — together with uncleared requests or distinct uncleared
 * clients per second at or above the cold-start floors. A busy site at ease (a healthy origin) raises
 * nothing however much traffic it has; a saturated origin serving cleared visitors (a flash crowd)
 * raises nothing either, as only uncleared traffic counts. The rank is the larger of the floor reached
 * and the saturation's severity, so a severely shedding origin under a surge above the elevated floor
 * is `under_attack`. Once raised, the level is held while the surge stays above half the floors (the
 * origin recovers precisely because the level rose, so saturation is not required to stay up).
 * Seconds with cold-start evidence are never learned (the detector reports them as a rise).
 */
import type { Rank, Signal } from './signals.ts';
import type { ColdStartFloors, DetectorConfig, DistressThreshold } from './detector-config.ts';
import type { Snapshot } from './window-aggregates.ts';

/** The outcome of the cold-start rule for one evaluation: its signals and the level they argue for. */
export interface ColdStartEvidence {
  readonly rank: Rank;
  readonly signals: Signal[];
}

const NONE: ColdStartEvidence = { rank: 0, signals: [] };

/** Whether the baseline is too young for the surge signals, so the cold-start rule applies. */
export function coldStartApplies(samples: number, config: DetectorConfig): boolean {
  return config.coldStart.enabled && samples < config.minBaselineSamples;
}

/**
 * Evaluates the cold-start rule (call only when `coldStartApplies`). Raise: saturation and a surge
 * above the floors, rank = max of both. Hold: a surge above half the floors. Pure.
 */
export function coldStartEvidence(snapshot: Snapshot, config: DetectorConfig, mode: 'raise' | 'hold'): ColdStartEvidence {
  const t = mode === 'raise' ? snapshot.last : snapshot.recent;
  const rps = t.uncleared / t.seconds;
  const sources = snapshot.distinct.unclearedLast;
  const factor = mode === 'raise' ? 1 : 0.5;
  const cs = config.coldStart;
  const surgeOf = (x: number, f: ColdStartFloors): Rank => (x >= f.underAttack * factor ? 2 : x >= f.elevated * factor ? 1 : 0);
  const rateRank = surgeOf(rps, cs.rps);
  const sourceRank = surgeOf(sources, cs.sources);
  const surge = Math.max(rateRank, sourceRank) as Rank;
  if (surge === 0) return NONE;
  const saturation = mode === 'raise' ? saturationOf(snapshot, config) : null;
  if (mode === 'raise' && saturation === null) return NONE;
  const rank = Math.max(surge, saturation?.rank ?? 0) as Rank;
  const what = rateRank >= sourceRank
    ? { metric: 'uncleared_rps', value: rps, floor: rateRank === 2 ? cs.rps.underAttack : cs.rps.elevated }
    : { metric: 'uncleared_distinct', value: sources, floor: sourceRank === 2 ? cs.sources.underAttack : cs.sources.elevated };
  const floor = what.floor * factor;
  const because = saturation === null ? 'holding the level raised at cold start' : `origin saturated (${saturation.detail})`;
  const detail = `cold start (no baseline yet): ${what.metric} ${Math.round(what.value)}/s ≥ floor ${floor}/s; ${because}`;
  return {
    rank,
    signals: [{
      kind: 'cold_start', suggests: rank === 2 ? 'under_attack' : 'elevated', threshold: mode, metric: `${what.metric}_cold_start`,
      value: what.value, expected: floor, ratio: floor > 0 ? what.value / floor : Infinity, z: null, basis: 'recent', detail,
    }],
  };
}

/**
 * The origin saturated: the admission queue at or above `distress.raise.*.queue`, or the share of
 * requests shed at or above `distress.raise.*.shedShare` (with `distress.minSamples` requests). Null
 * when neither holds; rank 2 at the severe thresholds.
 */
function saturationOf(snapshot: Snapshot, config: DetectorConfig): { rank: Rank; detail: string } | null {
  const r = snapshot.recent;
  const { elevated, severe } = config.distress.raise;
  const shed = r.requests >= config.distress.minSamples ? r.outcomes.shed / r.requests : 0;
  const rankOf = (t: DistressThreshold): boolean => r.queueMax >= t.queue || (shed > 0 && shed >= t.shedShare);
  const rank: Rank = rankOf(severe) ? 2 : rankOf(elevated) ? 1 : 0;
  if (rank === 0) return null;
  return { rank, detail: `queue ${r.queueMax}, shed ${(shed * 100).toFixed(1)}% of requests` };
}
