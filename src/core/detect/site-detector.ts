/**
 * One site's detection, wired together: aggregates fed from the request path, and a `tick` to call once
 * a second that snapshots, detects, learns the baseline (with its delay; nothing while the level is
 * above normal, a rise is indicated or an incident is open), proposes signature rules and reconciles
 * them with the active ones. Holds state but no clock, timer or I/O: the caller passes nowMs, persists
 * `baselineJson()` / `state` / `activeRules` as it likes, and acts on the result.
 *
 * Resuming after a restart (`savedState`, `savedRules`): the level, override and rules carry on as they
 * were; only the calm streak starts again, so the detector steps down after its usual calm period
 * observed from now, never counting the time it was not running. Until the first complete second after
 * it was created the detector holds its state: those snapshots are empty because nothing was observed,
 * not because the attack stopped.
 */
import type { ThreatLevel } from '../vocabulary.ts';
import { createBaseline, restoreBaseline, type Baseline, type BaselineJson, type BaselineOptions } from './baseline.ts';
import { resolveDetectorConfig, type DetectorConfig, type DetectorConfigInput } from './detector-config.ts';
import { clearOverride, detect, initialDetectorState, learnContext, setOverride, type DetectResult, type DetectorState, type LevelOverride } from './detector.ts';
import { proposeSignatures, reconcileRules, resolveSignatureConfig, type RuleChanges, type SignatureConfig, type SignatureRule } from './signatures.ts';
import { createWindowAggregates, type RequestEvent, type Snapshot, type WindowAggregates, type WindowAggregatesOptions } from './window-aggregates.ts';

/** Options of each part, and persisted state to start from. */
export interface SiteDetectorOptions {
  readonly aggregates?: WindowAggregatesOptions;
  readonly baseline?: BaselineOptions;
  readonly detector?: DetectorConfigInput;
  readonly signatures?: Partial<SignatureConfig>;
  /** A persisted baseline (`baselineJson()` output) to start from. */
  readonly savedBaseline?: unknown;
  /** A persisted detector state to start from (e.g. to keep an override across a restart). */
  readonly savedState?: DetectorState;
  /** Persisted active rules (the caller stores them with their expiry, e.g. in SQLite). */
  readonly savedRules?: readonly SignatureRule[];
}

/** What one tick produced. */
export interface SiteTick {
  readonly snapshot: Snapshot;
  readonly detection: DetectResult;
  /** Whether the baseline learned this second (false while not normal). */
  readonly learned: boolean;
  /** Rules proposed this tick, and how the active set changed. */
  readonly proposals: readonly SignatureRule[];
  readonly rules: RuleChanges;
}

/** What the caller knows at a tick that the detector does not. */
export interface TickContext {
  readonly incidentOpen?: boolean;
}

/** A saved detector state made ready to resume: same level, override and dwell; a fresh calm streak. */
export function resumedState(saved: DetectorState): DetectorState {
  return { ...saved, calmSinceMs: null, raiseTicks: 0 };
}

/** The result of a tick whose snapshot precedes the detector's first complete second: nothing changes. */
function heldResult(state: DetectorState, nowMs: number): DetectResult {
  return {
    level: state.level, state: { ...state, lastTickMs: nowMs }, signals: [], changed: false, target: state.level, clearedFlashCrowd: false,
    overridden: state.override !== null, warmingUp: false, coldStart: false,
    reasons: [`first second since start not complete yet: holding ${state.level}`],
  };
}

/** One site's detection: feed it requests, tick it every second. */
export interface SiteDetector {
  /** Request path: O(1). */
  observe(event: RequestEvent, nowMs: number): void;
  observeQueue(length: number, nowMs: number): void;
  /** Once a second; `context.incidentOpen`: the site has an open incident (nothing is learned then). */
  tick(nowMs: number, context?: TickContext): SiteTick;
  setOverride(override: LevelOverride, nowMs: number): void;
  clearOverride(nowMs: number): void;
  /**
   * Takes the state and active rules another process decided (the site's leader, when this process
   * follows it), so that if this one leads next it goes on from there instead of from `normal`.
   */
  adopt(state: DetectorState, rules: readonly SignatureRule[]): void;
  /** Replaces the baseline with a saved one (`baselineJson()` of another process); throws like the constructor. */
  replaceBaseline(saved: unknown, nowMs: number): void;
  readonly level: ThreatLevel;
  readonly state: DetectorState;
  readonly activeRules: readonly SignatureRule[];
  readonly aggregates: WindowAggregates;
  readonly baseline: Baseline;
  readonly config: DetectorConfig;
  baselineJson(): BaselineJson;
}

/** Creates one site's detector, starting at `normal` (or from the saved state) at nowMs. */
export function createSiteDetector(options: SiteDetectorOptions, nowMs: number): SiteDetector {
  const aggregates = createWindowAggregates(options.aggregates);
  let baseline = options.savedBaseline !== undefined
    ? restoreBaseline(options.savedBaseline, options.baseline ?? {}, nowMs)
    : createBaseline(options.baseline);
  const config = resolveDetectorConfig(options.detector);
  const signatureConfig = resolveSignatureConfig(options.signatures);
  let state = options.savedState ? resumedState(options.savedState) : initialDetectorState(nowMs);
  let active: SignatureRule[] = [...(options.savedRules ?? [])];
  const firstSecond = Math.floor(nowMs / 1000) + 1;
  return {
    observe: aggregates.observe,
    observeQueue: aggregates.observeQueue,
    tick(now, context = {}) {
      const snapshot = aggregates.snapshot(now);
      const observed = snapshot.second >= firstSecond;
      const previous = state.level;
      const detection = observed ? detect(snapshot, baseline, state, config, now) : heldResult(state, now);
      state = detection.state;
      // The seconds before this detector existed were not observed: do not learn them as silence.
      const learned = observed && baseline.update(snapshot, learnContext(previous, detection, context.incidentOpen === true), now);
      const proposals = proposeSignatures(snapshot, baseline, detection.level, signatureConfig, now);
      const rules = reconcileRules(active, proposals, detection.level, now, signatureConfig);
      active = rules.active;
      return { snapshot, detection, learned, proposals, rules };
    },
    setOverride(override, now) {
      state = setOverride(state, override, now);
    },
    clearOverride(now) {
      state = clearOverride(state, now);
    },
    adopt(next, rules) {
      state = next;
      active = [...rules];
    },
    replaceBaseline(saved, now) {
      baseline = restoreBaseline(saved, options.baseline ?? {}, now);
    },
    get level() {
      return state.level;
    },
    get state() {
      return state;
    },
    get activeRules() {
      return active;
    },
    aggregates,
    get baseline() {
      return baseline;
    },
    config,
    baselineJson: () => baseline.toJSON(),
  };
}
