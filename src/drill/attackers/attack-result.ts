/**
 * How attackers classify and count what happened to each request, so every attacker reports the same
 * shape and the drill can add them up: sent, by status, by outcome, errors by code, latency, and a
 * per-second series of requests sent.
 */
import { createKeyedCounter, createLatencyRecorder, createRateSeries, type LatencySummary, type RatePoint } from '../stats.ts';
import type { StoppedBy } from './bounds.ts';
import { errorCode, type AnswerOutcome } from '../answer-outcome.ts';

export {
  defaultChallengeDetector,
  errorCode,
  outcomeOfAnswer,
  outcomeOfError,
  type AnswerForDetection,
  type AnswerOutcome,
  type ChallengeDetector,
} from '../answer-outcome.ts';

/** What happened to one attack request (see {@link AnswerOutcome}). */
export type AttackOutcome = AnswerOutcome;

/** What an HTTP attacker reports. */
export interface AttackResult {
  readonly attack: string;
  /** Requests started. */
  readonly sent: number;
  /** Requests that got an answer (any status). */
  readonly answered: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byOutcome: Readonly<Partial<Record<AttackOutcome, number>>>;
  readonly errors: Readonly<Record<string, number>>;
  /** Latency of answered requests, to the end of the body. */
  readonly latency: LatencySummary;
  readonly durationMs: number;
  readonly stoppedBy: StoppedBy;
  /** Requests sent per second (wall clock). */
  readonly sentPerSecond: readonly RatePoint[];
  readonly sources: number;
}

/** Accumulates the results of one attacker run. */
export interface AttackRecorder {
  sent(nowMs: number): void;
  answer(status: number, outcome: AttackOutcome, latencyMs: number): void;
  error(err: unknown, outcome: AttackOutcome): void;
  result(run: { durationMs: number; stoppedBy: StoppedBy; sources: number; nowMs: number }): AttackResult;
}

/** Creates a recorder for one attacker run (bounded: statuses ≤ 256 keys, errors ≤ 64 codes). */
export function createAttackRecorder(attack: string): AttackRecorder {
  const byStatus = createKeyedCounter(256);
  const byOutcome = createKeyedCounter(16);
  const errors = createKeyedCounter(64);
  const latency = createLatencyRecorder();
  const perSecond = createRateSeries(1800);
  let sent = 0;
  let answered = 0;
  return {
    sent(nowMs) {
      sent++;
      perSecond.add(nowMs);
    },
    answer(status, outcome, latencyMs) {
      answered++;
      byStatus.add(status);
      byOutcome.add(outcome);
      latency.record(latencyMs);
    },
    error(err, outcome) {
      byOutcome.add(outcome);
      if (outcome !== 'aborted') errors.add(errorCode(err));
    },
    result(run) {
      const series = perSecond.series(run.nowMs);
      const firstActive = series.findIndex((p) => p.count > 0);
      return {
        attack,
        sent,
        answered,
        byStatus: byStatus.snapshot(),
        byOutcome: byOutcome.snapshot() as Partial<Record<AttackOutcome, number>>,
        errors: errors.snapshot(),
        latency: latency.summary(),
        durationMs: Math.round(run.durationMs),
        stoppedBy: run.stoppedBy,
        sentPerSecond: firstActive < 0 ? [] : series.slice(firstActive),
        sources: run.sources,
      };
    },
  };
}
