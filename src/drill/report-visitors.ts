/**
 * The real visitors' part of the drill report: figures by kind and by group (browsers arriving at the
 * onset, browsers behind one shared address), by phase (warm-up, the attack's first 5 s, the rest), the
 * onset figure, and their lines in the readable table.
 */
import type { AnswerOutcome } from './answer-outcome.ts';
import { columns, num, pct } from './report-cells.ts';
import type { VisitorsResult } from './visitors/run-visitors.ts';
import type { PowSolveFigures } from './visitors/pow-off-thread.ts';
import type { VisitorKind, VisitorStats } from './visitors/visitor-stats.ts';
import { ONSET_SERVED_WITHIN_MS, ONSET_WINDOW_MS, onsetFigures, phaseFigures, type OnsetFigures, type PhaseFigures } from './visitors/visitor-timeline.ts';

/** One kind of visitor's figures in the report. */
export interface VisitorKindFigures {
  readonly visitors: number;
  readonly sent: number;
  readonly served: number;
  readonly servedRatio: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Requests answered with a challenge at first, and how many were served after solving it. */
  readonly challenged: number;
  readonly challengesPassed: number;
  readonly notServedBy: Readonly<Partial<Record<AnswerOutcome, number>>>;
  /** Client-side errors by code (resets, timeouts), when there were any. */
  readonly errors?: Readonly<Record<string, number>>;
}

/** Every visitor's figures in the report. */
export type VisitorFigures = VisitorKindFigures & {
  readonly byKind: Readonly<Record<VisitorKind, VisitorKindFigures>>;
  /** Browsers that arrived during the onset (uncacheable pages), and browsers behind one shared address. */
  readonly byGroup: Readonly<{ onset: VisitorKindFigures; shared: VisitorKindFigures & { readonly address: string | null } }>;
  /** Visitors' requests by when they were first sent: warm-up, the attack's first 5 s, the rest. */
  readonly phases: Readonly<{ warmup: PhaseFigures; firstFiveS: PhaseFigures; rest: PhaseFigures }>;
  /**
   * The simulated browsers' proof-of-work solves on the drill's own worker threads: their wait for a core
   * and whole time. Real visitors solve on their own devices; a wait here is this machine's, not Bulwark's.
   */
  readonly solver: PowSolveFigures;
};

/** One kind's (or group's) figures as the report shows them. */
export function kindFigures(v: VisitorStats): VisitorKindFigures {
  const base = { visitors: v.visitors, sent: v.sent, served: v.served, servedRatio: v.servedRatio, p50Ms: v.p50Ms, p99Ms: v.p99Ms, challenged: v.challenged, challengesPassed: v.challengesPassed, notServedBy: v.notServedBy };
  return Object.keys(v.errors).length === 0 ? base : { ...base, errors: v.errors };
}

/** The visitors' figures and the onset figure of a run whose attack started at `attackStartMs`. */
export function visitorFigures(v: VisitorsResult, attackStartMs: number): { visitors: VisitorFigures; onset: OnsetFigures } {
  const onsetEnd = attackStartMs + ONSET_WINDOW_MS;
  const visitors: VisitorFigures = {
    ...kindFigures(v.overall),
    byKind: { browser: kindFigures(v.byKind.browser), nojs: kindFigures(v.byKind.nojs), api: kindFigures(v.byKind.api) },
    byGroup: { onset: kindFigures(v.byGroup.onset), shared: { ...kindFigures(v.byGroup.shared), address: v.sharedAddress } },
    phases: {
      warmup: phaseFigures(v.timeline, Number.NEGATIVE_INFINITY, attackStartMs),
      firstFiveS: phaseFigures(v.timeline, attackStartMs, onsetEnd),
      rest: phaseFigures(v.timeline, onsetEnd, Number.POSITIVE_INFINITY),
    },
    solver: v.solver,
  };
  return { visitors, onset: onsetFigures(v.timeline, attackStartMs, ONSET_WINDOW_MS, ONSET_SERVED_WITHIN_MS) };
}

/** The REAL VISITORS, VISITORS BY PHASE and ONSET sections of the readable table. */
export function visitorLines(v: VisitorFigures, onset: OnsetFigures): string[] {
  return [
    'REAL VISITORS',
    columns([
      ['kind', 'visitors', 'sent', 'served', 'ratio', 'p50 ms', 'p99 ms', 'challenged', 'passed', 'not served by'],
      ...(['browser', 'nojs', 'api'] as const).map((k) => visitorRow(k, v.byKind[k])),
      visitorRow('all', v),
      visitorRow('· onset browsers', v.byGroup.onset),
      visitorRow('· one address', v.byGroup.shared),
    ]),
    '',
    'VISITORS BY PHASE (requests by when first sent; latency from first send, retries of pages that retry themselves included)',
    columns([
      ['phase', 'sent', 'served', 'ratio', 'p50 ms', 'p90 ms', 'max ms', 'retried', 'not served by'],
      phaseRow('warm-up', v.phases.warmup),
      phaseRow('first 5 s', v.phases.firstFiveS),
      phaseRow('rest', v.phases.rest),
    ]),
    `ONSET  ${onsetLine(onset)}`,
    `SOLVES ${solverLine(v.solver)}`,
  ];
}

function solverLine(s: PowSolveFigures): string {
  if (s.solves === 0) return "the browsers solved no proof of work on the drill's worker threads";
  return (
    `${s.solves} proofs of work solved by the browsers on the drill's ${s.workers} worker thread(s): ` +
    `whole time p50 ${num(s.totalP50Ms, 0)} ms, p90 ${num(s.totalP90Ms, 0)} ms, of which waiting for a core p50 ${num(s.waitP50Ms, 0)} ms, ` +
    `p90 ${num(s.waitP90Ms, 0)} ms (up to ${s.maxQueued} queued) — this machine's time, not Bulwark's`
  );
}

function why(notServedBy: Readonly<Partial<Record<AnswerOutcome, number>>>): string {
  return Object.entries(notServedBy).filter(([, n]) => (n ?? 0) > 0).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
}

function visitorRow(kind: string, v: VisitorKindFigures): string[] {
  return [kind, String(v.visitors), String(v.sent), String(v.served), pct(v.servedRatio), num(v.p50Ms, 1), num(v.p99Ms, 1), String(v.challenged), String(v.challengesPassed), why(v.notServedBy)];
}

function phaseRow(name: string, p: PhaseFigures): string[] {
  return [name, String(p.sent), String(p.served), pct(p.servedRatio), num(p.p50Ms, 1), num(p.p90Ms, 1), num(p.maxMs, 1), String(p.retried), why(p.notServedBy)];
}

function onsetLine(o: OnsetFigures): string {
  if (o.requests === 0) return `no visit first sent in the attack's first ${o.windowS} s`;
  const part = (x: { requests: number; servedWithin: number }) => `${x.servedWithin}/${x.requests}`;
  return (
    `${pct(o.ratio)} of ${o.requests} visits first sent in the attack's first ${o.windowS} s were served within ${o.withinS} s ` +
    `(arriving then: ${part(o.arrivals)}, one shared address: ${part(o.shared)}; their pages' subresources: ${part(o.assets)})`
  );
}
