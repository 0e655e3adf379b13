/**
 * Everything one open incident accumulates, second by second, in bounded memory: the timeline row of
 * each second, the top sources and patterns (the core's incident recorder), the actions taken and their
 * effect, what cleared visitors experienced, and the severity. No I/O and no clock (time comes in the
 * input): the tracker writes what this produces.
 *
 * Caps: 256 keys per dimension in the recorder (top 50 reported), 200 level changes, 100 rules, 200
 * decision keys per incident; beyond them entries are counted as dropped (`*_dropped`, `other`).
 * A continued incident (after a restart) starts from what its stored record says (`prior`).
 */
import { mergeKmv } from '../core/detect/kmv.ts';
import {
  createIncidentRecorder, DIMENSIONS, type Dimension, type IncidentSummary, type RuleChanges, type Signal, type SignatureRule, type Snapshot,
} from '../core/detect/index.ts';
import { LOG_BUCKETS, logPercentile } from '../core/detect/log-histogram.ts';
import { OUTCOMES, type ThreatLevel } from '../core/vocabulary.ts';
import type { IncidentRecord, IncidentSecond } from '../stores/index.ts';
import {
  coreSummaryOf, DIMENSION_FIELD, MITIGATED_OUTCOMES, parseActions, parseSummaryCarry, parseVisitors, sourceSignatureOf,
  type ActionsJson, type LevelChangeJson, type RuleJson, type SignalJson, type SummaryJson, type TopEntryJson, type VisitorsJson,
} from './incident-json.ts';
import { severityOf, type SeverityResult } from './severity.ts';
import { mergeSummaries } from './summary-merge.ts';
import { baselineJson, type BaselineFacts } from './baseline-facts.ts';

export { mergeSummaries } from './summary-merge.ts';
export { baselineFacts, type BaselineFacts } from './baseline-facts.ts';

/** One detector second of a site, as the incident needs it. */
export interface IncidentSecondInput {
  readonly snapshot: Snapshot;
  readonly level: ThreatLevel;
  readonly previousLevel: ThreatLevel;
  readonly overridden: boolean;
  readonly reasons: readonly string[];
  readonly signals: readonly Signal[];
  readonly rules: RuleChanges;
  readonly activeRules: readonly SignatureRule[];
  /** Requests per decision key in that second (site-extras.ts). */
  readonly decisions: ReadonlyMap<string, number>;
  /** Cleared visitors' origin latency histogram of that second (LOG_BUCKETS counts), or null. */
  readonly clearedLatency: ArrayLike<number> | null;
  /** Distinct client addresses since the incident opened (estimate; 0 when unknown). */
  readonly distinctSources: number;
  /** Bottom-k sketch of the uncleared source prefixes so far (core/detect/kmv.ts). */
  readonly sourceSignature?: readonly number[];
  readonly baseline: BaselineFacts;
  /** Uncleared requests by HTTP method since the previous second (site-extras.ts); absent when not counted. */
  readonly methods?: Readonly<Record<string, number>>;
  /**
   * The baseline's share of normal uncleared traffic for a key, plus its bound (the most it could be);
   * null when the baseline is not warm. Absent when no baseline is at hand.
   */
  readonly baselineShare?: (dimension: Dimension, key: string | number) => number | null;
}

/** What the accumulator starts from. */
export interface AccumulatorInit {
  readonly openedAtMs: number;
  readonly trigger: 'detector' | 'override';
  readonly baseline: BaselineFacts | null;
  /** The stored record of an incident being continued after a restart. */
  readonly prior?: IncidentRecord;
  /** Top keys reported per dimension. Default 10. */
  readonly topN?: number;
}

/** The accumulated incident. */
export interface IncidentAccumulator {
  /** Adds one second; returns its timeline row. */
  observe(input: IncidentSecondInput, nowMs: number): IncidentSecond;
  summary(): SummaryJson;
  actions(): ActionsJson;
  visitors(): VisitorsJson;
  /** The core summary (for `compareIncidents`). */
  coreSummary(): IncidentSummary;
  severity(): SeverityResult;
  readonly peakLevel: ThreatLevel;
  readonly distinctSources: number;
  readonly endedAtMs: number | null;
}

const MAX_LEVEL_CHANGES = 200;
const MAX_RULES = 100;
const MAX_DECISIONS = 200;
const MAX_SIGNALS = 20;
const RANK: Record<ThreatLevel, number> = { normal: 0, elevated: 1, under_attack: 2 };

function evidenceJson(r: SignatureRule): RuleJson['evidence'] {
  return r.evidence.map((e) => ({
    dimension: DIMENSION_FIELD[e.dimension], key: e.key, attack_share: e.attackShare, baseline_share: e.baselineShare,
    lift: Number.isFinite(e.lift) ? e.lift : null, rps: e.rps,
  }));
}

function matchJson(r: SignatureRule): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [d, k] of Object.entries(r.match)) if (k !== undefined) out[DIMENSION_FIELD[d as Dimension]] = k;
  return out;
}

/** Creates the accumulator of an incident opened (or continued) as `init` says. */
export function createIncidentAccumulator(init: AccumulatorInit): IncidentAccumulator {
  const topN = init.topN ?? 50;
  const recorder = createIncidentRecorder({ capacity: 256, topN });
  const prior = init.prior;
  const carry = prior ? parseSummaryCarry(prior.summary) : null;
  const priorSummary = prior ? coreSummaryOf(prior.summary) : null;
  const priorActions = parseActions(prior?.actions);
  const priorVisitors = parseVisitors(prior?.visitors);
  const trigger = carry?.trigger ?? init.trigger;
  let baseline = carry?.baseline ?? (init.baseline ? baselineJson(init.baseline) : null);
  let gapSeconds = carry?.gapSeconds ?? 0;
  // A continued incident: the seconds between its last stored one and the first observed now were missed.
  let resumeFromMs: number | null = prior ? (prior.lastSecondMs ?? prior.openedAtMs - 1000) : null;
  let peakLevel: ThreatLevel = prior?.peakLevel ?? 'normal';
  let peakRps = prior?.peakRps ?? 0;
  let peakDistinct = carry?.peakDistinct ?? 0;
  let abnormalSeconds = carry?.abnormalSeconds ?? 0;
  let endedAtMs: number | null = null;
  let distinct = prior?.distinctSources ?? 0;
  // The sketch of an incident resumed after a restart starts from the stored one (merged below).
  const priorSignature = prior ? sourceSignatureOf(prior.summary) : [];
  let signature: number[] = priorSignature;
  const signals: SignalJson[] = [...(carry?.signals ?? [])];
  const signalKeys = new Set(signals.map((s) => `${s.kind}|${s.metric}`));
  const levelChanges: LevelChangeJson[] = [...priorActions.level_changes];
  let levelChangesDropped = priorActions.level_changes_dropped;
  const rules = new Map<string, RuleJson>(priorActions.rules.map((r) => [r.id, r]));
  let rulesDropped = priorActions.rules_dropped;
  const outcomes: Record<string, number> = Object.fromEntries(OUTCOMES.map((o) => [o, priorActions.outcomes[o] ?? 0]));
  const byDecision = new Map<string, number>(Object.entries(priorActions.by_decision));
  const latency = new Float64Array(LOG_BUCKETS);
  for (const [b, c] of priorVisitors.cleared_latency_histogram) if (b < LOG_BUCKETS) latency[b] += c;
  const v = {
    cleared: priorVisitors.cleared_requests, served: priorVisitors.cleared_served, issued: priorVisitors.challenges_issued,
    solved: priorVisitors.challenges_solved, failed: priorVisitors.challenges_failed, originResponses: priorVisitors.origin_responses, originErrors: priorVisitors.origin_errors,
  };

  function noteRule(r: SignatureRule, nowMs: number): void {
    const known = rules.get(r.id);
    if (known === undefined && rules.size >= MAX_RULES) {
      rulesDropped++;
      return;
    }
    rules.set(r.id, {
      id: r.id, action: r.action, mode: r.mode, match: matchJson(r), rate_limit_rps: r.rateLimitRps ?? null,
      collateral: r.collateral, collateral_bound: r.collateralBound, attack_share: r.attackShare, level: r.level,
      first_seen_ms: known?.first_seen_ms ?? nowMs, last_seen_ms: nowMs,
      applied_ms: known?.applied_ms ?? (r.mode === 'apply' ? nowMs : null),
      expires_ms: r.expiresMs, retired_ms: null, retired_reason: null, reason: r.reason, evidence: evidenceJson(r), requests: known?.requests ?? 0,
    });
  }

  function noteLevel(input: IncidentSecondInput, nowMs: number): void {
    if (input.level === input.previousLevel) return;
    if (levelChanges.length >= MAX_LEVEL_CHANGES) {
      levelChangesDropped++;
      return;
    }
    levelChanges.push({ at_ms: nowMs, from: input.previousLevel, to: input.level, by: input.overridden ? 'override' : 'detector', reason: input.reasons.join('; ').slice(0, 500) });
  }

  function noteSignals(input: IncidentSecondInput, nowMs: number): void {
    for (const s of input.signals) {
      const key = `${s.kind}|${s.metric}`;
      if (signalKeys.has(key) || signals.length >= MAX_SIGNALS) continue;
      signalKeys.add(key);
      signals.push({ kind: s.kind, metric: s.metric, suggests: s.suggests, first_seen_ms: nowMs, detail: s.detail.slice(0, 300) });
    }
  }

  function noteDecisions(decisions: ReadonlyMap<string, number>): void {
    for (const [k, n] of decisions) {
      const key = byDecision.has(k) || byDecision.size < MAX_DECISIONS ? k : 'other';
      byDecision.set(key, (byDecision.get(key) ?? 0) + n);
      const rule = rules.get(k);
      if (rule !== undefined) rules.set(k, { ...rule, requests: rule.requests + n });
    }
  }

  function noteTraffic(snapshot: Snapshot, clearedLatency: ArrayLike<number> | null): void {
    const last = snapshot.last;
    for (const o of OUTCOMES) outcomes[o]! += last.outcomes[o];
    v.cleared += last.cleared;
    v.served += last.clearedServed;
    v.issued += last.challengesIssued;
    v.solved += last.challengesSolved;
    v.failed += last.challengesFailed;
    v.originResponses += last.originResponses;
    v.originErrors += last.originErrors;
    if (clearedLatency !== null) for (let i = 0; i < LOG_BUCKETS; i++) latency[i] += clearedLatency[i]!;
  }

  function timelineRow(input: IncidentSecondInput): IncidentSecond {
    const last = input.snapshot.last;
    const rowOutcomes: Record<string, number> = {};
    for (const o of OUTCOMES) if (last.outcomes[o] > 0) rowOutcomes[o] = last.outcomes[o];
    return {
      t: input.snapshot.second * 1000,
      requests: last.requests,
      distinct: input.snapshot.distinct.last,
      level: input.level,
      outcomes: rowOutcomes,
      extra: {
        uncleared: last.uncleared,
        cleared: last.cleared,
        cleared_served_ratio: last.cleared > 0 ? last.clearedServed / last.cleared : null,
        origin_p50_ms: last.latencyP50Ms,
        origin_p99_ms: last.latencyP99Ms,
        origin_errors: last.originErrors,
        queue_max: last.queueMax,
        challenges: { issued: last.challengesIssued, solved: last.challengesSolved, failed: last.challengesFailed },
        active_rules: input.activeRules.filter((r) => r.mode === 'apply').length,
      },
    };
  }

  function coreSummary(): IncidentSummary {
    return mergeSummaries(priorSummary, recorder.summary(), topN);
  }

  function clearedRate(): number | null {
    return v.cleared > 0 ? v.served / v.cleared : null;
  }

  function severity(): SeverityResult {
    return severityOf({ peakLevel, peakRps, baselineRps: baseline?.rps ?? 0, abnormalSeconds, clearedRequests: v.cleared, clearedSuccessRate: clearedRate() });
  }

  return {
    observe(input, nowMs) {
      const second = input.snapshot.second * 1000;
      if (resumeFromMs !== null) {
        gapSeconds += Math.max(0, Math.round((second - resumeFromMs) / 1000) - 1);
        resumeFromMs = null;
      }
      if (baseline === null) baseline = baselineJson(input.baseline);
      recorder.observe(input.snapshot);
      if (RANK[input.level] > RANK[peakLevel]) peakLevel = input.level;
      const rps = input.snapshot.last.requests / input.snapshot.last.seconds;
      if (rps > peakRps) peakRps = rps;
      if (input.snapshot.distinct.last > peakDistinct) peakDistinct = input.snapshot.distinct.last;
      if (input.level !== 'normal') {
        abnormalSeconds++;
        endedAtMs = second + 1000;
      }
      distinct = Math.max(distinct, input.distinctSources, input.snapshot.distinct.window);
      if (input.sourceSignature !== undefined && input.sourceSignature.length > 0) signature = mergeKmv(priorSignature, input.sourceSignature);
      noteLevel(input, nowMs);
      noteSignals(input, nowMs);
      for (const r of input.rules.added) noteRule(r, nowMs);
      for (const r of input.rules.renewed) noteRule(r, nowMs);
      for (const { rule, reason } of input.rules.retired) {
        const known = rules.get(rule.id);
        if (known !== undefined) rules.set(rule.id, { ...known, retired_ms: nowMs, retired_reason: reason });
      }
      noteDecisions(input.decisions);
      noteTraffic(input.snapshot, input.clearedLatency);
      return timelineRow(input);
    },
    summary() {
      const s = coreSummary();
      const top: Record<string, TopEntryJson[]> = {};
      for (const d of DIMENSIONS) top[DIMENSION_FIELD[d]] = s.top[d].map((e) => ({ key: e.key, share: e.share, count: Math.round(e.share * s.totalRequests) }));
      const sev = severity();
      return {
        version: 1, trigger, uncleared_requests: Math.round(s.totalRequests), top, source_signature: signature,
        rate: { peak_rps: s.rate.peakRps, mean_rps: s.rate.meanRps, duration_s: s.rate.durationS, ramp_s: s.rate.rampS },
        peak_distinct_per_second: peakDistinct, baseline, ended_at_ms: endedAtMs ?? prior?.lastSecondMs ?? null, abnormal_seconds: abnormalSeconds,
        severity_score: sev.score, severity_reasons: sev.reasons, signals, gap_seconds: gapSeconds,
      };
    },
    actions() {
      const mitigated = MITIGATED_OUTCOMES.reduce((n, o) => n + (outcomes[o] ?? 0), 0);
      return {
        level_changes: levelChanges, level_changes_dropped: levelChangesDropped, rules: [...rules.values()], rules_dropped: rulesDropped,
        outcomes: { ...outcomes }, mitigated_requests: mitigated, by_decision: Object.fromEntries(byDecision),
      };
    },
    visitors() {
      const hist: Array<readonly [number, number]> = [];
      for (let i = 0; i < LOG_BUCKETS; i++) if (latency[i]! > 0) hist.push([i, latency[i]!]);
      return {
        cleared_requests: v.cleared, cleared_served: v.served, cleared_success_rate: clearedRate(),
        cleared_origin_latency_p50_ms: logPercentile(latency, 0.5), cleared_origin_latency_p99_ms: logPercentile(latency, 0.99), cleared_latency_histogram: hist,
        challenges_issued: v.issued, challenges_solved: v.solved, challenges_failed: v.failed,
        challenge_solve_rate: v.issued > 0 ? Math.min(1, v.solved / v.issued) : null,
        origin_responses: v.originResponses, origin_errors: v.originErrors,
      };
    },
    coreSummary,
    severity,
    get peakLevel() {
      return peakLevel;
    },
    get distinctSources() {
      return distinct;
    },
    get endedAtMs() {
      return endedAtMs;
    },
  };
}
