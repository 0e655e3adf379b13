/**
 * An incident's severity, from four things an investigator weighs: how far the
 * peak rate rose above the site's normal, how long the site was above normal, how high the level went,
 * and — most of all — whether real visitors suffered. Points per factor, summed:
 *
 * | factor | 0 | 1 | 2 | 3 | 4 |
 * |---|---|---|---|---|---|
 * | peak level | normal | elevated | under_attack | | |
 * | peak rps ÷ baseline rps (baseline ≥ 1) | < 3 | ≥ 3 | ≥ 10 | ≥ 100 | |
 * | time above normal | < 1 min | ≥ 1 min | ≥ 10 min | ≥ 1 h | |
 * | cleared visitors served (≥ 20 of their requests seen) | ≥ 99% | < 99% | < 95% | | < 80% |
 *
 * score ≤ 2 → low, 3–4 → medium, 5–6 → high, ≥ 7 → critical. A site whose cleared visitors were mostly
 * not served (< 80%) is at least `high` whatever the attack's size: that is the failure that matters.
 */
import type { ThreatLevel } from '../core/vocabulary.ts';
import type { IncidentSeverity } from '../stores/index.ts';

/** What the severity is computed from. */
export interface SeverityInput {
  readonly peakLevel: ThreatLevel;
  readonly peakRps: number;
  /** The site's normal request rate before the incident (baseline slow mean); 0 when unknown. */
  readonly baselineRps: number;
  /** Seconds spent above normal. */
  readonly abnormalSeconds: number;
  /** Cleared visitors' requests seen, and the share served (< 500, from origin or cache). */
  readonly clearedRequests: number;
  readonly clearedSuccessRate: number | null;
}

/** The severity, its score and one sentence per factor that scored. */
export interface SeverityResult {
  readonly severity: IncidentSeverity;
  readonly score: number;
  readonly reasons: readonly string[];
}

/** Cleared requests needed before their success rate counts. */
export const MIN_CLEARED_SAMPLES = 20;

const step = (value: number, thresholds: readonly number[]): number => thresholds.filter((t) => value >= t).length;

/** Scores an incident (see the module table). */
export function severityOf(input: SeverityInput): SeverityResult {
  const reasons: string[] = [];
  const levelPoints = input.peakLevel === 'under_attack' ? 2 : input.peakLevel === 'elevated' ? 1 : 0;
  if (levelPoints > 0) reasons.push(`peak level ${input.peakLevel} (+${levelPoints})`);
  const ratio = input.peakRps / Math.max(input.baselineRps, 1);
  const sizePoints = step(ratio, [3, 10, 100]);
  if (sizePoints > 0) reasons.push(`peak ${Math.round(input.peakRps)} req/s, ${ratio.toFixed(1)}× the normal rate (+${sizePoints})`);
  const durationPoints = step(input.abnormalSeconds, [60, 600, 3600]);
  if (durationPoints > 0) reasons.push(`${Math.round(input.abnormalSeconds / 60)} min above normal (+${durationPoints})`);
  let visitorPoints = 0;
  const rate = input.clearedSuccessRate;
  if (rate !== null && input.clearedRequests >= MIN_CLEARED_SAMPLES) {
    visitorPoints = rate < 0.8 ? 4 : rate < 0.95 ? 2 : rate < 0.99 ? 1 : 0;
    if (visitorPoints > 0) reasons.push(`cleared visitors served ${(rate * 100).toFixed(1)}% (+${visitorPoints})`);
  }
  const score = levelPoints + sizePoints + durationPoints + visitorPoints;
  let severity: IncidentSeverity = score >= 7 ? 'critical' : score >= 5 ? 'high' : score >= 3 ? 'medium' : 'low';
  if (visitorPoints >= 4 && (severity === 'low' || severity === 'medium')) severity = 'high';
  return { severity, score, reasons };
}
