/**
 * The drill's report: one JSON object per run (`bulwark drill --json`) and a readable table, plus the
 * definition and computation of *time to mitigate*.
 *
 * Time to mitigate (TTM): take, for every second in which the attack sent requests, the attack requests
 * sent that second and the attack requests the origin received that second (the origin fixture counts
 * requests per class, by source address, every second). TTM is the offset, in whole seconds from the
 * attack's first second, of the first second S such that in S and in EVERY later second of the attack at
 * least 90% of the attack requests no longer reached the origin (origin ≤ 10% of sent). It is 0 when the
 * attack never got through, and null when the last second of the attack still let more than 10% through
 * ("never mitigated"). Only defined for request floods: connection attacks and the malformed corpus
 * report null with a note.
 */
import type { AttackFigures, AttackRun, Criterion } from './scenarios/context.ts';
import type { RatePoint } from './stats.ts';
import type { VisitorKind } from './visitors/visitor-stats.ts';
import type { OnsetFigures } from './visitors/visitor-timeline.ts';
import { visitorLines, type VisitorFigures } from './report-visitors.ts';
import { columns, num, pct } from './report-cells.ts';
import type { BaselineFigures } from './scenarios/baseline-probe.ts';
import { restartLines, type RestartFigures } from './restart-figures.ts';

export type { VisitorFigures, VisitorKindFigures } from './report-visitors.ts';

/** Share of attack requests per second that may still reach the origin once mitigated. */
export const MITIGATED_MAX_SHARE = 0.1;

/** The TTM definition, as printed in reports. */
export const TTM_DEFINITION = 'first second after which ≥ 90% of attack requests per second no longer reach the origin (seconds from the attack start; null = never)';

/**
 * Time to mitigate in seconds (see the module comment): `sent` and `reached` are per-second counts keyed
 * by unix second. Returns null when the last active second still let more than 10% through, or when
 * nothing was sent.
 */
export function timeToMitigate(sent: readonly RatePoint[], reached: readonly RatePoint[]): number | null {
  const active = sent.filter((p) => p.count > 0).sort((a, b) => a.second - b.second);
  if (active.length === 0) return null;
  const got = new Map(reached.map((p) => [p.second, p.count]));
  let from: number | null = null; // first second of the current mitigated stretch
  for (const p of active) {
    const ok = (got.get(p.second) ?? 0) <= MITIGATED_MAX_SHARE * p.count;
    if (!ok) from = null;
    else if (from === null) from = p.second;
  }
  return from === null ? null : from - active[0]!.second;
}

/** The protecting process's figures (Bulwark, or a reference like nginx); null fields when not measured. */
export interface ProtectorFigures {
  readonly name: string;
  readonly pid: number | null;
  /** CPU seconds used from ready to the end of the drill (start-up excluded). */
  readonly cpuS: number | null;
  /** CPU seconds used starting up (config, geo data) until ready. */
  readonly cpuStartupS: number | null;
  /** Peak resident memory over its whole life (VmHWM), MiB. */
  readonly peakRssMb: number | null;
  /** Still running when the attack and visitors ended (not crashed). */
  readonly aliveAtEnd: boolean | null;
  readonly exitCode: number | null;
  /** Exited by itself on SIGTERM within the deadline. */
  readonly gracefulExit: boolean | null;
  /** Bulwark's own outcome counts over the run (admin /stats), when available. */
  readonly outcomes: Readonly<Record<string, number>> | null;
  /** Threat levels seen (admin /stats, polled every second), with their offset from the attack start. */
  readonly levels: ReadonlyArray<{ readonly atS: number; readonly level: string }>;
  /** The last `challenge` block of /stats for the site, when available. */
  readonly challenge: unknown;
  /** Client connections (admin /stats, 1 Hz polls): peak, at the last poll before the attack ended, dropped at accept. */
  readonly connections: { readonly peakOpen: number; readonly openAtAttackEnd: number | null; readonly droppedAtAccept: number | null } | null;
}

/** The drill's result: what `--json` prints (one object). */
export interface DrillReport {
  readonly scenario: string;
  readonly summary: string;
  readonly repelledMeans: string;
  /** What stood in front of the origin: `bulwark`, `none` (reference), `nginx` (reference), or `target`. */
  readonly protection: string;
  /** `managed`: the drill started the origin fixture and the protector; `target`: an existing deployment. */
  readonly mode: 'managed' | 'target';
  readonly target: string;
  readonly startedAt: string;
  readonly durations: {
    readonly configuredS: number;
    /** Visitors alone before the attack starts. */
    readonly warmupS: number;
    /** Wall time of the attack. */
    readonly attackS: number;
    /** Wall time of the whole drill, set-up and tear-down included. */
    readonly totalS: number;
  };
  readonly bounds: {
    readonly durationS: number;
    readonly rate: number;
    readonly sources: number;
    readonly maxRequests: number;
    readonly maxSockets: number;
    readonly seed: number;
    readonly capacity: number | null;
    readonly visitors: Readonly<Record<VisitorKind, number>>;
    readonly visitorGroups: Readonly<{ onset: number; shared: number }>;
    readonly visitorMaxRequests: number;
    /** The fixture's pages: the newsroom's caching (`site`) or all `private, no-store`. */
    readonly originPages: string;
    readonly pageLatencyMs: number;
  };
  readonly attack: AttackFigures & {
    /** Attack requests the origin received; null when unknown. */
    readonly reachedOrigin: number | null;
    readonly reachedOriginRatio: number | null;
    /** True with `--target`: derived from Bulwark's forwarded count minus visitors served, a lower bound. */
    readonly reachedOriginEstimated: boolean;
    readonly stoppedBy: string;
  };
  readonly visitors: VisitorFigures;
  /** Visitors' visits first sent in the attack's first 5 s and served within 10 s (see visitor-timeline.ts). */
  readonly onset: OnsetFigures;
  readonly origin: {
    readonly capacity: number | null;
    readonly peakConcurrency: number | null;
    readonly peakRps: number | null;
    /** Requests the origin refused for being over capacity (fixture only). */
    readonly overCapacity: number | null;
    readonly requests: number | null;
    readonly byClass: Readonly<Record<string, number>> | null;
    readonly source: 'fixture' | 'bulwark-stats' | 'none';
  };
  readonly timeToMitigateS: number | null;
  readonly timeToMitigateNote: string;
  /** The protecting process (named `bulwark` for the issue's JSON shape; null with no protection). */
  readonly bulwark: ProtectorFigures | null;
  readonly runs?: readonly AttackRun[];
  /** Named moments of the run (phase changes), seconds from the attack start. */
  readonly marks: ReadonlyArray<{ readonly event: string; readonly atS: number }>;
  readonly repelled: { readonly verdict: boolean | null; readonly criteria: readonly Criterion[] };
  readonly details: Readonly<Record<string, unknown>>;
  /** Bulwark's baseline of the site when the attack started and ended (null when not readable). */
  readonly baseline?: { readonly before: BaselineFigures | null; readonly after: BaselineFigures | null };
  /** The SIGKILL and restart (`--restart`), when done. */
  readonly restart?: RestartFigures;
}

/**
 * Verdict of a set of criteria: false when any failed; else null when any could not be judged (a missing
 * figure must not pass for a success); else true.
 */
export function verdictOf(criteria: readonly Criterion[]): boolean | null {
  if (criteria.some((c) => c.ok === false)) return false;
  if (criteria.length === 0 || criteria.some((c) => c.ok === null)) return null;
  return true;
}

/** The report as ONE JSON object (pretty-printed, newline-terminated). */
export function reportJson(report: DrillReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

export { columns } from './report-cells.ts';

/** The report as a readable table (what `bulwark drill` prints without `--json`). */
export function formatReport(r: DrillReport): string {
  const b = r.bounds;
  const a = r.attack;
  const lines: string[] = [
    `drill ${r.scenario} — ${r.summary}`,
    `  protection ${r.protection}${r.bulwark?.pid ? ` (pid ${r.bulwark.pid})` : ''}, target ${r.target}, ${r.mode}`,
    `  attack ${r.durations.attackS.toFixed(1)} s (configured ${b.durationS} s, visitors' warm-up ${r.durations.warmupS} s), total ${r.durations.totalS.toFixed(1)} s, stopped by ${a.stoppedBy}`,
    `  bounds: rate ${b.rate}/s, ${b.sources} sources, ≤ ${b.maxRequests} requests, ≤ ${b.maxSockets} sockets, seed ${b.seed}; origin capacity ${num(b.capacity)}; ` +
      `visitors ${b.visitors.browser} browsers, ${b.visitors.nojs} no-JS, ${b.visitors.api} API, ${b.visitorGroups.onset} arriving at the onset, ${b.visitorGroups.shared} behind one address; ` +
      `origin pages ${b.originPages === 'no-store' ? 'all private, no-store' : "the site's caching"}, ${b.pageLatencyMs} ms`,
    '',
    'ATTACK',
    columns([
      ['sent', 'reached origin', 'challenged', 'limited', 'dropped', 'blocked', 'shed', 'served', 'rejected', 'failed', 'timeout'],
      [String(a.sent), `${num(a.reachedOrigin)} (${pct(a.reachedOriginRatio)})${a.reachedOriginEstimated ? ' est.' : ''}`, ...[a.challenged, a.limited, a.dropped, a.blocked, a.shed, a.served, a.rejected, a.failed, a.timeout].map(String)],
    ]),
    '',
    ...visitorLines(r.visitors, r.onset),
    '',
    'ORIGIN',
    `  capacity ${num(r.origin.capacity)}, peak concurrency ${num(r.origin.peakConcurrency)}, peak ${num(r.origin.peakRps)} req/s, over capacity ${num(r.origin.overCapacity)} (from ${r.origin.source})`,
    `TIME TO MITIGATE  ${r.timeToMitigateS !== null ? `${r.timeToMitigateS} s` : r.timeToMitigateNote.startsWith('first second') ? 'never' : 'n.a.'} — ${r.timeToMitigateNote}`,
  ];
  if (r.bulwark) lines.push(...protectorLines(r.bulwark));
  if (r.runs?.length) {
    lines.push('', 'RUNS');
    lines.push(columns([['run', 'start s', 'sent', 'reached origin', 'challenged', 'limited', 'dropped', 'TTM s', 'sources'], ...r.runs.map((x) => [x.name, x.startS.toFixed(1), String(x.attack.sent), num(x.reachedOrigin), String(x.attack.challenged), String(x.attack.limited), String(x.attack.dropped), num(x.timeToMitigateS), x.sources])]));
  }
  if (r.marks.length > 0) lines.push(`MARKS  ${r.marks.map((m) => `${m.atS.toFixed(1)} s ${m.event}`).join(', ')}`);
  if (r.baseline && (r.baseline.before !== null || r.baseline.after !== null)) lines.push(baselineLine(r.baseline.before, r.baseline.after));
  if (r.restart) lines.push(...restartLines(r.restart));
  lines.push('', `REPELLED? ${r.repelled.verdict === null ? 'not judged' : r.repelled.verdict ? 'yes' : 'no'} — ${r.repelledMeans}`);
  for (const c of r.repelled.criteria) lines.push(`  ${c.ok === null ? '?' : c.ok ? '✓' : '✗'} ${c.check}: ${c.detail}`);
  return lines.join('\n') + '\n';
}

/** `BASELINE  uncleared 31.2 → 31.9 req/s (×1.02), recent 30.8 → 32.0, …` */
function baselineLine(b: BaselineFigures | null, a: BaselineFigures | null): string {
  const v = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x.toFixed(1));
  const ratio = b && a && b.unclearedRps > 0 ? ` (×${(a.unclearedRps / b.unclearedRps).toFixed(2)})` : '';
  const any = a ?? b!;
  return `BASELINE  uncleared ${v(b?.unclearedRps)} → ${v(a?.unclearedRps)} req/s${ratio}, recent ${v(b?.recentUnclearedRps)} → ${v(a?.recentUnclearedRps)}, ` +
    `${b?.samples ?? '-'} → ${a?.samples ?? '-'} s learned; learning delay ${v(any.learnDelayS)} s, growth ≤ ×${any.growthPerHour ?? '-'}/h`;
}

function protectorLines(p: ProtectorFigures): string[] {
  const outcomes = p.outcomes ? Object.entries(p.outcomes).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') : 'not available';
  const exit = p.exitCode === null && p.gracefulExit === null ? 'still running' : `exit ${p.exitCode ?? '-'}${p.gracefulExit ? ' (graceful)' : ''}`;
  const lines = [
    `${p.name.toUpperCase()}  cpu ${num(p.cpuS, 2)} s (+${num(p.cpuStartupS, 2)} s start-up), peak RSS ${num(p.peakRssMb, 1)} MB, alive at end ${p.aliveAtEnd ?? '-'}, ${exit}`,
    `  outcomes: ${outcomes || 'none'}`,
  ];
  if (p.connections) lines.push(`  connections: peak ${p.connections.peakOpen} open, ${num(p.connections.openAtAttackEnd)} open as the attack ended, ${num(p.connections.droppedAtAccept)} dropped at accept`);
  if (p.levels.length > 0) lines.push(`  threat levels: ${p.levels.map((l) => (l.atS <= 0 ? `${l.level} at the start` : `${l.level} at ${l.atS.toFixed(1)} s`)).join(' → ')}`);
  return lines;
}
