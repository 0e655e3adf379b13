/**
 * The detector: a pure function run every second per site. It evaluates the signals of the
 * latest snapshot against the learned baseline and moves the site's threat level
 * `normal → elevated → under_attack` with hysteresis (raise thresholds to enter, lower hold thresholds
 * to stay), a confirmation count before raising, a minimum dwell time and a calm period before each
 * automatic step down. An operator override (`bulwark mode SITE under_attack --for 30m`) wins until it
 * expires; meanwhile the automatic level keeps being computed, so it takes over on expiry.
 *
 * A flash crowd of cleared visitors is not an attack: it raises the level only as far as the origin's
 * distress, and the result says so (`clearedFlashCrowd`) so cleared visitors keep passing.
 */
import type { ThreatLevel } from '../vocabulary.ts';
import { BulwarkError } from '../errors.ts';
import type { BaselineView, LearnContext } from './baseline.ts';
import type { DetectorConfig } from './detector-config.ts';
import { evaluate, LEVEL_OF_RANK, rankOf, type Evaluation, type Signal } from './signals.ts';
import type { Snapshot } from './window-aggregates.ts';

/** A manual level set by an operator, valid until `untilMs`. */
export interface LevelOverride {
  readonly level: ThreatLevel;
  readonly untilMs: number;
  /** Who set it and why, for the audit trail and the reasons. */
  readonly by?: string;
  readonly reason?: string;
}

/** What the detector carries from one tick to the next (a plain, JSON-safe value). */
export interface DetectorState {
  /** The site's level: the override while valid, else `autoLevel`. */
  readonly level: ThreatLevel;
  /** When `level` last changed (ms). */
  readonly sinceMs: number;
  /** What the signals alone concluded. */
  readonly autoLevel: ThreatLevel;
  readonly autoSinceMs: number;
  /** Consecutive ticks whose raise target was above `autoLevel`. */
  readonly raiseTicks: number;
  /** Start of the current calm streak (hold target below `autoLevel`), null when not calm. */
  readonly calmSinceMs: number | null;
  readonly override: LevelOverride | null;
  readonly lastTickMs: number | null;
}

/** The result of one tick. */
export interface DetectResult {
  /** Level to enforce now. */
  readonly level: ThreatLevel;
  readonly state: DetectorState;
  /** Signals crossing raise thresholds, plus those that only cross hold thresholds while not normal. */
  readonly signals: Signal[];
  /** Human sentences explaining the level (changes, holds, warm-up, flash crowd, override). */
  readonly reasons: string[];
  /** The level changed this tick. */
  readonly changed: boolean;
  /** The level the raise thresholds alone point at this tick. */
  readonly target: ThreatLevel;
  /** Cleared visitors are surging without any attack signal: keep them passing whatever the level. */
  readonly clearedFlashCrowd: boolean;
  readonly overridden: boolean;
  readonly warmingUp: boolean;
  /**
   * No baseline yet and the cold-start rule (cold-start.ts) sees an attack: the origin saturated under
   * a surge of uncleared traffic (raise), or that surge still there (hold, while the level is up).
   * Such seconds are not learned.
   */
  readonly coldStart: boolean;
}

/** The state of a site that has just started (normal, no override). */
export function initialDetectorState(nowMs: number): DetectorState {
  return { level: 'normal', sinceMs: nowMs, autoLevel: 'normal', autoSinceMs: nowMs, raiseTicks: 0, calmSinceMs: null, override: null, lastTickMs: null };
}

/** Sets an override (takes effect at once). `BULWARK_ERR_DETECT_OVERRIDE` if it has already expired. */
export function setOverride(state: DetectorState, override: LevelOverride, nowMs: number): DetectorState {
  if (!(override.untilMs > nowMs)) {
    throw new BulwarkError('BULWARK_ERR_DETECT_OVERRIDE', `override until ${override.untilMs} is already expired at ${nowMs}`, { source: 'operator', publicReason: 'The override expiry must be in the future.' });
  }
  const changed = state.level !== override.level;
  return { ...state, override, level: override.level, sinceMs: changed ? nowMs : state.sinceMs };
}

/** Removes an override; the automatic level applies at once. */
export function clearOverride(state: DetectorState, nowMs: number): DetectorState {
  const changed = state.level !== state.autoLevel;
  return { ...state, override: null, level: state.autoLevel, sinceMs: changed ? nowMs : state.sinceMs };
}

/** One detector tick: signals, level, next state and reasons. Pure; call once per second per site. */
export function detect(snapshot: Snapshot, baseline: BaselineView, state: DetectorState, config: DetectorConfig, nowMs: number): DetectResult {
  const raise = evaluate(snapshot, baseline, config, 'raise');
  const hold = evaluate(snapshot, baseline, config, 'hold');
  const reasons: string[] = [];
  const auto = nextAutoLevel(state, raise, hold, config, nowMs, reasons);
  let override = state.override;
  if (override !== null && nowMs >= override.untilMs) {
    reasons.push(`override to ${override.level} expired; automatic level ${auto.autoLevel} applies`);
    override = null;
  }
  const level = override?.level ?? auto.autoLevel;
  if (override !== null) reasons.push(`override to ${override.level} until ${new Date(override.untilMs).toISOString()}${override.by ? ` by ${override.by}` : ''} (automatic level: ${auto.autoLevel})`);
  const clearedFlashCrowd = auto.autoLevel === 'normal' ? raise.flashCrowd : hold.flashCrowd;
  if (clearedFlashCrowd) {
    reasons.push(hold.distress > 0 || raise.distress > 0
      ? 'flash crowd of cleared visitors while the origin is in distress: level raised to protect the origin; keep cleared visitors passing'
      : 'flash crowd of cleared visitors and a healthy origin: not an attack; keep cleared visitors passing');
  } else if (raise.attack === 0 && raise.distress > 0) {
    reasons.push('origin in distress without any attack signal: not treated as an attack');
  }
  const warmingUp = !baseline.warm;
  if (warmingUp) reasons.push(`baseline warming up (${baseline.samples} samples): absolute floors in force, concentration signals off`);
  const coldStart = raise.coldStart || (auto.autoLevel !== 'normal' && hold.coldStart);
  if (coldStart) reasons.push('cold start: no baseline yet, attack evidence from the origin\'s saturation and absolute floors; these seconds are not learned');
  const changed = level !== state.level;
  const next: DetectorState = { ...auto, level, sinceMs: changed ? nowMs : state.sinceMs, override, lastTickMs: nowMs };
  const signals = [...raise.signals];
  if (auto.autoLevel !== 'normal') {
    for (const s of hold.signals) if (!signals.some((r) => r.kind === s.kind && r.metric === s.metric)) signals.push(s);
  }
  return { level, state: next, signals, reasons, changed, target: LEVEL_OF_RANK[raise.target]!, clearedFlashCrowd, overridden: override !== null, warmingUp, coldStart };
}

type AutoPart = Pick<DetectorState, 'autoLevel' | 'autoSinceMs' | 'raiseTicks' | 'calmSinceMs'>;

function nextAutoLevel(state: DetectorState, raise: Evaluation, hold: Evaluation, config: DetectorConfig, nowMs: number, reasons: string[]): AutoPart {
  const current = rankOf(state.autoLevel);
  const strongest = (e: Evaluation) => e.signals.map((s) => s.detail).join('; ');
  if (raise.target > current) {
    const ticks = state.raiseTicks + 1;
    if (ticks >= config.confirmTicks) {
      const to = LEVEL_OF_RANK[raise.target]!;
      reasons.push(`raised ${state.autoLevel} → ${to}: ${strongest(raise)}`);
      return { autoLevel: to, autoSinceMs: nowMs, raiseTicks: 0, calmSinceMs: null };
    }
    reasons.push(`${LEVEL_OF_RANK[raise.target]} indicated (${ticks}/${config.confirmTicks} ticks): ${strongest(raise)}`);
    return { autoLevel: state.autoLevel, autoSinceMs: state.autoSinceMs, raiseTicks: ticks, calmSinceMs: state.calmSinceMs };
  }
  if (current === 0) return { autoLevel: 'normal', autoSinceMs: state.autoSinceMs, raiseTicks: 0, calmSinceMs: null };
  if (hold.target >= current) {
    reasons.push(`holding ${state.autoLevel}: ${strongest(hold)}`);
    return { autoLevel: state.autoLevel, autoSinceMs: state.autoSinceMs, raiseTicks: 0, calmSinceMs: null };
  }
  const calmSinceMs = state.calmSinceMs ?? nowMs;
  const calmS = (nowMs - calmSinceMs) / 1000;
  const dwellS = (nowMs - state.autoSinceMs) / 1000;
  const minDwell = current === 2 ? config.minDwellS.underAttack : config.minDwellS.elevated;
  if (calmS >= config.calmS && dwellS >= minDwell) {
    const to = LEVEL_OF_RANK[current - 1]!;
    reasons.push(`stepped down ${state.autoLevel} → ${to} after ${Math.round(calmS)} s of calm`);
    return { autoLevel: to, autoSinceMs: nowMs, raiseTicks: 0, calmSinceMs: null };
  }
  reasons.push(`calm for ${Math.round(calmS)} s of ${config.calmS} s (at ${state.autoLevel} for ${Math.round(dwellS)} s of ${minDwell} s) before stepping down`);
  return { autoLevel: state.autoLevel, autoSinceMs: state.autoSinceMs, raiseTicks: 0, calmSinceMs };
}

/**
 * What the baseline may learn after a tick: the enforced level, and whether a rise happened or is under
 * way — the level rose, the raise thresholds point higher than the level (a rise not yet confirmed), or
 * the automatic level is above an override's, or the cold-start rule sees an attack. Seconds queued
 * before any of these are thrown away.
 */
export function learnContext(previousLevel: ThreatLevel, result: DetectResult, incidentOpen = false): LearnContext {
  const level = rankOf(result.level);
  const rising = level > rankOf(previousLevel) || rankOf(result.target) > level || rankOf(result.state.autoLevel) > level || result.coldStart;
  return { level: result.level, rising, incidentOpen };
}
