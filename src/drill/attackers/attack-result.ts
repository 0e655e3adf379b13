/**
 * How attackers classify and count what happened to each request, so every attacker reports the same
 * shape and the drill can add them up: sent, by status, by outcome, errors by code, latency, and a
 * per-second series of requests sent.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createKeyedCounter, createLatencyRecorder, createRateSeries, type LatencySummary, type RatePoint } from '../stats.ts';
import type { StoppedBy } from './bounds.ts';

/**
 * What happened to one attack request, as the attacker saw it:
 * `served` 2xx/3xx; `challenged` a challenge page; `limited` 429; `blocked` 403; `shed` 503;
 * `rejected` other 4xx; `failed` other 5xx; `dropped` connection refused, reset or closed without an
 * answer; `timeout` no answer in time; `aborted` cut short by the attack's own end.
 */
export type AttackOutcome = 'served' | 'challenged' | 'limited' | 'blocked' | 'shed' | 'rejected' | 'failed' | 'dropped' | 'timeout' | 'aborted';

/** The parts of an answer a challenge detector may look at. */
export interface AnswerForDetection {
  readonly status: number;
  readonly headers: IncomingHttpHeaders | Readonly<Record<string, string | string[] | undefined>>;
  /** The start of the body when the caller read it (visitors do, floods do not). */
  readonly body?: string;
}

/** Decides whether an answer is a challenge page (the challenge issue plugs its own in). */
export type ChallengeDetector = (answer: AnswerForDetection) => boolean;

/**
 * Default challenge detector: an `x-bulwark-challenge` response header, or a body containing
 * `data-bulwark-challenge`. A proposal until the challenge issue settles the marker.
 */
export const defaultChallengeDetector: ChallengeDetector = (answer) =>
  answer.headers['x-bulwark-challenge'] !== undefined || (answer.body?.includes('data-bulwark-challenge') ?? false);

/** Maps a status (and the detector's verdict) to an outcome. */
export function outcomeOfAnswer(answer: AnswerForDetection, isChallenge: ChallengeDetector = defaultChallengeDetector): AttackOutcome {
  if (isChallenge(answer)) return 'challenged';
  const s = answer.status;
  if (s === 429) return 'limited';
  if (s === 403) return 'blocked';
  if (s === 503) return 'shed';
  if (s >= 200 && s < 400) return 'served';
  if (s >= 400 && s < 500) return 'rejected';
  return 'failed';
}

/** Maps a client-side error (undici or node:net) to an outcome, given whether the attack itself aborted it. */
export function outcomeOfError(err: unknown, abortedByRun: boolean): AttackOutcome {
  if (abortedByRun) return 'aborted';
  const code = errorCode(err);
  if (code.includes('TIMEOUT') || code === 'TimeoutError') return 'timeout';
  return 'dropped';
}

/** A stable short code for an error (`ECONNRESET`, `UND_ERR_SOCKET`, …). */
export function errorCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
    if (typeof e.code === 'string') return e.code;
    if (typeof e.cause?.code === 'string') return e.cause.code;
    if (typeof e.name === 'string') return e.name;
  }
  return 'unknown';
}

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
