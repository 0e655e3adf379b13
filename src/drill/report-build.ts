/**
 * Assembling the drill's report (report.ts defines it) from what a run measured: the attack's and the
 * visitors' figures, the origin fixture's counts, the admin observation of a managed Bulwark and its
 * process readings, the criteria each scenario is judged by, and time to mitigate.
 */
import type { Criterion, JudgedFigures, Scenario } from './scenarios/context.ts';
import { visitorFigures } from './report-visitors.ts';
import { forwardedSeries, type AdminObservation } from './scenarios/admin-observer.ts';
import type { ProcUsage, StopResult } from './bulwark-process.ts';
import { commonCriteria } from './scenarios/criteria.ts';
import { restartCriterion, restartFigures, visitorFailuresWhileDown } from './restart-figures.ts';
import type { Arena, AttackPhase, DrillPlan } from './run.ts';
import { TTM_DEFINITION, timeToMitigate, verdictOf, type DrillReport, type ProtectorFigures } from './report.ts';

/** Everything {@link buildReport} reads. */
export interface ReportInputs {
  readonly scenario: Scenario;
  readonly plan: DrillPlan;
  readonly arena: Arena;
  readonly run: AttackPhase;
  readonly observation: AdminObservation | undefined;
  /** The protector's last /proc reading. */
  readonly usage: ProcUsage | undefined;
  readonly aliveAtEnd: boolean | null;
  readonly stop: StopResult | undefined;
  readonly startedMs: number;
  readonly mode: 'managed' | 'target';
}

/** Assembles the report of a run from the attack's, the visitors', the origin's and the protector's figures. */
export function buildReport(i: ReportInputs): DrillReport {
  const { scenario, plan, arena, run, observation } = i;
  const reached = reachedOrigin(i);
  const ttm = mitigation(i);
  const { visitors, onset } = visitorFigures(run.visitors, run.attackStartMs);
  const origin = originFigures(i);
  const bulwark = protectorFigures(i);
  const attack = { ...run.outcome.attack, reachedOrigin: reached.count, reachedOriginRatio: reached.count === null ? null : reached.count / Math.max(1, run.outcome.attack.sent), reachedOriginEstimated: reached.estimated, stoppedBy: run.outcome.stoppedBy };
  const failedWhileDown = run.restart === undefined ? 0 : visitorFailuresWhileDown(run.visitors.timeline, run.restart);
  const judged: JudgedFigures = {
    attack,
    visitors: failedWhileDown > 0 ? { ...visitors, failedWhileDown } : visitors,
    onset,
    origin,
    timeToMitigateS: ttm.seconds,
    bulwarkOutcomes: observation?.outcomes ?? null,
    bulwarkConnections: bulwark?.connections ?? null,
    runs: run.outcome.runs,
    details: run.outcome.details,
  };
  const restart = run.restart === undefined ? undefined : { ...restartFigures(run.restart, run.attackStartMs, run.attackEndMs, run.outcome.sentPerSecond ?? [], arena.tracker?.series('attack'), observation), visitorsFailedWhileDown: failedWhileDown };
  const criteria = [...(scenario.judge ? scenario.judge(judged) : commonCriteria(judged)), ...crashCriteria(i), ...(restart ? [restartCriterion(restart)] : [])];
  return {
    scenario: scenario.name,
    summary: scenario.summary,
    repelledMeans: scenario.repelledMeans,
    protection: arena.protectionName,
    mode: i.mode,
    target: arena.target,
    startedAt: new Date(i.startedMs).toISOString(),
    durations: { configuredS: plan.settings.durationS, warmupS: plan.warmupS, attackS: round1((run.attackEndMs - run.attackStartMs) / 1000), totalS: round1((Date.now() - i.startedMs) / 1000) },
    bounds: {
      ...plan.settings,
      capacity: plan.capacity,
      visitors: plan.visitors,
      visitorGroups: plan.visitorGroups,
      visitorMaxRequests: plan.visitorMaxRequests,
      originPages: plan.originPages,
      pageLatencyMs: plan.pageLatencyMs,
    },
    attack,
    visitors,
    onset,
    origin,
    timeToMitigateS: ttm.seconds,
    timeToMitigateNote: ttm.note,
    bulwark,
    ...(run.outcome.runs ? { runs: run.outcome.runs } : {}),
    marks: run.marks,
    repelled: { verdict: verdictOf(criteria), criteria },
    details: run.outcome.details,
    baseline: { before: run.baseline.before ?? null, after: run.baseline.after ?? null },
    ...(restart ? { restart } : {}),
  };
}

function reachedOrigin(i: ReportInputs): { count: number | null; estimated: boolean } {
  if (i.arena.tracker) return { count: i.arena.tracker.count('attack') - i.run.attackAtOriginBefore, estimated: false };
  const forwarded = i.observation?.outcomes?.forwarded;
  if (forwarded === undefined) return { count: null, estimated: false };
  return { count: Math.max(0, forwarded - i.run.visitors.overall.served), estimated: true };
}

function mitigation(i: ReportInputs): { seconds: number | null; note: string } {
  if (i.scenario.kind !== 'requests') return { seconds: null, note: `not applicable to ${i.scenario.kind === 'connections' ? 'connection attacks (see the closes in details)' : 'the malformed corpus'}` };
  const sent = i.run.outcome.sentPerSecond ?? [];
  if (i.arena.tracker) return { seconds: timeToMitigate(sent, i.arena.tracker.series('attack')), note: TTM_DEFINITION };
  if (i.observation?.available) return { seconds: timeToMitigate(sent, forwardedSeries(i.observation)), note: `${TTM_DEFINITION}; from Bulwark's forwarded/s (visitors included)` };
  return { seconds: null, note: 'origin figures not available' };
}


function originFigures(i: ReportInputs): DrillReport['origin'] {
  const capacity = i.plan.capacity;
  if (i.arena.fixture) {
    const s = i.arena.fixture.stats();
    return { capacity, peakConcurrency: s.peakConcurrency, peakRps: s.peakRps, overCapacity: s.overCapacity, requests: s.requests, byClass: s.byClass, source: 'fixture' };
  }
  const o = i.observation;
  if (!o?.available) return { capacity, peakConcurrency: null, peakRps: null, overCapacity: null, requests: null, byClass: null, source: 'none' };
  const perSecond = forwardedSeries(o).filter((p) => p.second * 1000 >= i.run.attackStartMs - 1000);
  return { capacity, peakConcurrency: o.peakInFlight, peakRps: Math.max(0, ...perSecond.map((p) => p.count)), overCapacity: null, requests: o.outcomes?.forwarded ?? null, byClass: null, source: 'bulwark-stats' };
}

function protectorFigures(i: ReportInputs): ProtectorFigures | null {
  const p = i.arena.protector;
  const o = i.observation;
  const levels = (o?.levels ?? []).map((l) => ({ atS: round1((l.atMs - i.run.attackStartMs) / 1000), level: l.level }));
  if (!p) {
    if (!o?.available) return null;
    return { name: 'bulwark', pid: null, cpuS: null, cpuStartupS: null, peakRssMb: null, aliveAtEnd: null, exitCode: null, gracefulExit: null, outcomes: o.outcomes, levels, challenge: o.challenge ?? null, connections: connectionFigures(i) };
  }
  const ready = p.readyUsage;
  return {
    name: p.name,
    pid: p.pid,
    cpuS: i.usage ? round2(i.usage.cpuS - (ready?.cpuS ?? 0)) : null,
    cpuStartupS: ready ? round2(ready.cpuS) : null,
    peakRssMb: i.usage ? round1(i.usage.peakRssMb) : null,
    aliveAtEnd: i.aliveAtEnd,
    exitCode: i.stop?.exitCode ?? null,
    gracefulExit: i.stop ? i.stop.graceful && i.stop.exitCode === 0 : null,
    outcomes: o?.outcomes ?? null,
    levels,
    challenge: o?.challenge ?? null,
    connections: connectionFigures(i),
  };
}

function connectionFigures(i: ReportInputs): ProtectorFigures['connections'] {
  const samples = i.observation?.openConnections ?? [];
  if (samples.length === 0) return null;
  const during = samples.filter((s) => s.atMs >= i.run.attackStartMs && s.atMs <= i.run.attackEndMs - 200);
  return {
    peakOpen: Math.max(...samples.map((s) => s.open)),
    openAtAttackEnd: during.at(-1)?.open ?? null,
    droppedAtAccept: i.observation?.droppedAtAccept ?? null,
  };
}

function crashCriteria(i: ReportInputs): Criterion[] {
  const p = i.arena.protector;
  if (!p) return [];
  const ok = i.aliveAtEnd === true && i.stop?.graceful === true && i.stop.exitCode === 0;
  return [{ check: `${p.name} did not crash (alive at the end, exit 0 on SIGTERM)`, ok, detail: `alive ${i.aliveAtEnd}, exit ${i.stop?.exitCode ?? '-'}${i.stop?.signal ? ` (${i.stop.signal})` : ''}` }];
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;
