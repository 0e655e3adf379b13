/**
 * A driver for detector scenarios (tests, drills): feeds synthetic seconds through detect → baseline
 * update, exactly as site-detector.ts orders a tick (a rise, an indicated rise or an automatic level
 * above the one enforced stops learning), and records each tick's result. Pure.
 */
import type { ThreatLevel } from '../vocabulary.ts';
import { createBaseline, restoreBaseline, type Baseline, type BaselineOptions } from './baseline.ts';
import { resolveDetectorConfig, type DetectorConfig, type DetectorConfigInput } from './detector-config.ts';
import { detect, initialDetectorState, learnContext, type DetectResult, type DetectorState } from './detector.ts';
import { createSyntheticSite, type SyntheticSecond, type SyntheticSite } from './synthetic-site.ts';

/** One simulated tick and the detector's result for it. */
export interface ScenarioTick {
  /** Seconds since the scenario started. */
  readonly t: number;
  readonly nowMs: number;
  readonly level: ThreatLevel;
  readonly result: DetectResult;
}

/** A running scenario: its baseline, configuration, state and clock. */
export interface Scenario {
  readonly baseline: Baseline;
  readonly config: DetectorConfig;
  readonly site: SyntheticSite;
  state: DetectorState;
  /** Seconds simulated so far. */
  t: number;
  /** Runs `seconds` more ticks, one synthetic second each; returns their results. */
  run(seconds: number, spec: (t: number) => SyntheticSecond): ScenarioTick[];
  nowMs(): number;
}

/** The fake clock's start (ms). */
export const SCENARIO_T0 = 1_700_000_000_000;

/**
 * Creates a scenario with a fresh baseline (or one restored from `savedBaseline`) and the given
 * configuration; its clock starts at `t0Ms` (default SCENARIO_T0).
 */
export function createScenario(options: { baseline?: BaselineOptions; config?: DetectorConfigInput; t0Ms?: number; savedBaseline?: unknown } = {}): Scenario {
  const t0 = options.t0Ms ?? SCENARIO_T0;
  const scenario: Scenario = {
    baseline: options.savedBaseline === undefined ? createBaseline(options.baseline) : restoreBaseline(options.savedBaseline, options.baseline ?? {}, t0),
    config: resolveDetectorConfig(options.config),
    site: createSyntheticSite(),
    state: initialDetectorState(t0),
    t: 0,
    nowMs: () => t0 + scenario.t * 1000,
    run(seconds, spec) {
      const ticks: ScenarioTick[] = [];
      for (let i = 0; i < seconds; i++) {
        scenario.t++;
        const nowMs = scenario.nowMs();
        const snapshot = scenario.site.next(spec(scenario.t), nowMs);
        const previous = scenario.state.level;
        const result = detect(snapshot, scenario.baseline, scenario.state, scenario.config, nowMs);
        scenario.state = result.state;
        scenario.baseline.update(snapshot, learnContext(previous, result), nowMs);
        ticks.push({ t: scenario.t, nowMs, level: result.level, result });
      }
      return ticks;
    },
  };
  return scenario;
}

/** Level changes in a run of ticks: [t, from, to]. */
export function levelChanges(ticks: readonly ScenarioTick[], from: ThreatLevel = 'normal'): Array<[number, ThreatLevel, ThreatLevel]> {
  const out: Array<[number, ThreatLevel, ThreatLevel]> = [];
  let previous = from;
  for (const tick of ticks) {
    if (tick.level !== previous) out.push([tick.t, previous, tick.level]);
    previous = tick.level;
  }
  return out;
}
