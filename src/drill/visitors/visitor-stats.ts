/**
 * What simulated visitors report, per kind: logical requests sent (a page, an asset, an API call —
 * redirects and one challenge included), how many were served (a 2xx/3xx answer from the origin or the
 * cache; a challenge page is NOT served), latency of the served ones, and why the others were not.
 */
import { createKeyedCounter, createLatencyRecorder, type LatencyRecorder, type LatencySummary } from '../stats.ts';
import { errorCode, type AnswerOutcome } from '../answer-outcome.ts';

/** The kinds of simulated visitors (docs/threats.md "real visitors"). */
export type VisitorKind = 'browser' | 'nojs' | 'api';

/** One kind's figures. */
export interface VisitorStats {
  readonly kind: VisitorKind | 'all';
  readonly visitors: number;
  /** Logical requests that completed or failed (requests cut short by the run's end are not counted). */
  readonly sent: number;
  readonly served: number;
  /** served / sent (1 when nothing was sent). */
  readonly servedRatio: number;
  /** Requests answered with a challenge at first. */
  readonly challenged: number;
  /** Among them, requests served after solving it. */
  readonly challengesPassed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Latency of served requests (challenge solving included). */
  readonly latency: LatencySummary;
  /** Why requests were not served (outcome of their final answer or error). */
  readonly notServedBy: Readonly<Partial<Record<AnswerOutcome, number>>>;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
}

/** Accumulates one kind's figures. */
export interface VisitorRecorder {
  readonly kind: VisitorKind;
  served(status: number, latencyMs: number, passedChallenge: boolean): void;
  /** `detail`: why, when it says more than the outcome (e.g. how a challenge was left unsolved); counted in `errors`. */
  notServed(outcome: AnswerOutcome, status: number | undefined, challenged: boolean, detail?: string): void;
  error(err: unknown, outcome: AnswerOutcome): void;
  stats(visitors: number): VisitorStats;
  readonly latency: LatencyRecorder;
}

/** Creates a recorder for one kind of visitor. */
export function createVisitorRecorder(kind: VisitorKind): VisitorRecorder {
  const latency = createLatencyRecorder();
  const notServedBy = createKeyedCounter(16);
  const byStatus = createKeyedCounter(256);
  const errors = createKeyedCounter(64);
  const c = { sent: 0, served: 0, challenged: 0, passed: 0 };
  return {
    kind,
    latency,
    served(status, latencyMs, passedChallenge) {
      c.sent++;
      c.served++;
      if (passedChallenge) {
        c.challenged++;
        c.passed++;
      }
      byStatus.add(status);
      latency.record(latencyMs);
    },
    notServed(outcome, status, challenged, detail) {
      if (detail !== undefined) errors.add(detail);
      c.sent++;
      if (challenged) c.challenged++;
      notServedBy.add(outcome);
      if (status !== undefined) byStatus.add(status);
    },
    error(err, outcome) {
      if (outcome === 'aborted') return;
      c.sent++;
      notServedBy.add(outcome);
      errors.add(errorCode(err));
    },
    stats: (visitors) => summarise(kind, visitors, c, latency, notServedBy.snapshot(), byStatus.snapshot(), errors.snapshot()),
  };
}

/** Adds several kinds' figures into one (`kind: 'all'`). */
export function combineVisitorStats(parts: ReadonlyArray<{ recorder: VisitorRecorder; visitors: number }>): VisitorStats {
  const latency = createLatencyRecorder();
  const c = { sent: 0, served: 0, challenged: 0, passed: 0 };
  const sum = (into: Record<string, number>, from: Readonly<Record<string, number | undefined>>): void => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + (v ?? 0);
  };
  const notServedBy: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let visitors = 0;
  for (const { recorder, visitors: n } of parts) {
    const s = recorder.stats(n);
    latency.merge(recorder.latency);
    c.sent += s.sent;
    c.served += s.served;
    c.challenged += s.challenged;
    c.passed += s.challengesPassed;
    visitors += n;
    sum(notServedBy, s.notServedBy);
    sum(byStatus, s.byStatus);
    sum(errors, s.errors);
  }
  return summarise('all', visitors, c, latency, notServedBy, byStatus, errors);
}

function summarise(
  kind: VisitorKind | 'all',
  visitors: number,
  c: { sent: number; served: number; challenged: number; passed: number },
  latency: LatencyRecorder,
  notServedBy: Record<string, number>,
  byStatus: Record<string, number>,
  errors: Record<string, number>,
): VisitorStats {
  const summary = latency.summary();
  return {
    kind,
    visitors,
    sent: c.sent,
    served: c.served,
    servedRatio: c.sent === 0 ? 1 : c.served / c.sent,
    challenged: c.challenged,
    challengesPassed: c.passed,
    p50Ms: summary.p50Ms,
    p99Ms: summary.p99Ms,
    latency: summary,
    notServedBy,
    byStatus,
    errors,
  };
}
