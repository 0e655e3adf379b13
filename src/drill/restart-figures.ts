/**
 * What a SIGKILL and restart in the middle of an attack cost (`bulwark drill … --restart`):
 * - `downS`: from SIGKILL to the new process answering `/readyz` (nothing is served meanwhile: the
 *   attack's and the visitors' connections are refused);
 * - `protectionLostS`: seconds, from the new process being ready to the end of the attack, in which more
 *   than 10% of the attack's requests reached the origin (the time-to-mitigate rule) — protection the
 *   restart lost; the goal is 0. Judged only when the attack was mitigated in the seconds before the kill
 *   (`mitigatedBeforeKill`), else it measures the detection, not the restart;
 * - the threat level before the kill and whether any poll in the first 5 s after the restart saw a lower
 *   one (`levelDropped`).
 */
import type { RestartEvent } from './bulwark-process.ts';
import type { VisitorSample } from './visitors/visitor-timeline.ts';
import type { AdminObservation } from './scenarios/admin-observer.ts';
import type { Criterion } from './scenarios/context.ts';
import type { RatePoint } from './stats.ts';

/** The restart's figures in the report. */
export interface RestartFigures {
  /** SIGKILL, seconds from the attack start. */
  readonly atS: number;
  readonly downS: number;
  readonly pidBefore: number;
  readonly pidAfter: number;
  /** The level the last poll before the kill saw; null without admin polls. */
  readonly levelBefore: string | null;
  /** A poll within 5 s after the restart saw a lower level than before the kill. */
  readonly levelDropped: boolean | null;
  /** The attack was mitigated (≤ 10% reaching the origin) in each of the two seconds before the kill. */
  readonly mitigatedBeforeKill: boolean | null;
  /** Seconds after the restart with more than 10% of the attack reaching the origin (goal 0); null when unknown. */
  readonly protectionLostS: number | null;
  /** Attack requests sent, and reaching the origin, from the restart to the end of the attack. */
  readonly sentAfter: number | null;
  readonly reachedOriginAfter: number | null;
  /** Visitors' requests that failed while Bulwark was down (see {@link visitorFailuresWhileDown}); set by the report. */
  readonly visitorsFailedWhileDown?: number;
}

const RANK: Record<string, number> = { normal: 0, elevated: 1, under_attack: 2 };
const MITIGATED_MAX_SHARE = 0.1;

/** The figures of one restart, from the attack's sent and origin series (unix seconds) and the admin polls. */
export function restartFigures(
  e: RestartEvent, attackStartMs: number, attackEndMs: number, sent: readonly RatePoint[], reached: readonly RatePoint[] | undefined, o: AdminObservation | undefined,
): RestartFigures {
  const got = new Map((reached ?? []).map((p) => [p.second, p.count]));
  const killS = Math.floor(e.killedAtMs / 1000);
  const readyS = Math.floor(e.readyAtMs / 1000);
  const endS = Math.floor(attackEndMs / 1000);
  const bad = (p: RatePoint): boolean => (got.get(p.second) ?? 0) > MITIGATED_MAX_SHARE * p.count;
  const beforeKill = sent.filter((p) => p.count > 0 && p.second >= killS - 2 && p.second < killS);
  const after = sent.filter((p) => p.count > 0 && p.second >= readyS && p.second <= endS);
  const levels = o?.levels ?? [];
  const levelBefore = levels.filter((l) => l.atMs < e.killedAtMs).at(-1)?.level ?? null;
  const soon = levels.filter((l) => l.atMs > e.killedAtMs && l.atMs <= Math.min(attackEndMs, e.readyAtMs + 5000));
  return {
    atS: round1((e.killedAtMs - attackStartMs) / 1000),
    downS: round1((e.readyAtMs - e.killedAtMs) / 1000),
    pidBefore: e.pidBefore,
    pidAfter: e.pidAfter,
    levelBefore,
    levelDropped: levelBefore === null ? null : soon.some((l) => (RANK[l.level] ?? 0) < (RANK[levelBefore] ?? 0)),
    mitigatedBeforeKill: reached === undefined || beforeKill.length === 0 ? null : !beforeKill.some(bad),
    protectionLostS: reached === undefined ? null : after.filter(bad).length,
    sentAfter: after.reduce((n, p) => n + p.count, 0),
    reachedOriginAfter: reached === undefined ? null : after.reduce((n, p) => n + (got.get(p.second) ?? 0), 0),
  };
}

/**
 * After the new process is ready, a visitor's failure may still be the kill's: a request that was refused
 * just before `/readyz` answered is reported a moment later. Failures ending this long after ready count too.
 */
export const DOWN_GRACE_MS = 1000;

/**
 * Visitors' requests that failed because the drill itself killed Bulwark: not served, and ended (first send
 * plus latency) between the SIGKILL and shortly after the new process was ready. Nobody can serve them —
 * one process was down — so the visitors' check judges the others and the report names these apart.
 */
export function visitorFailuresWhileDown(samples: readonly VisitorSample[], e: Pick<RestartEvent, 'killedAtMs' | 'readyAtMs'>): number {
  let n = 0;
  for (const s of samples) {
    if (s.served) continue;
    const endMs = s.startMs + s.latencyMs;
    if (endMs >= e.killedAtMs && endMs <= e.readyAtMs + DOWN_GRACE_MS) n++;
  }
  return n;
}

/** The restart's check of "repelled": no protection lost (judged when the attack was mitigated before the kill). */
export function restartCriterion(r: RestartFigures): Criterion {
  const check = 'no protection lost over the SIGKILL and restart';
  if (r.protectionLostS === null || r.mitigatedBeforeKill === null) return { check, ok: null, detail: 'origin figures not available' };
  const detail = `${r.protectionLostS} s with > 10% of the attack reaching the origin after the restart (down ${r.downS} s; level ${r.levelBefore ?? '?'} before${r.levelDropped ? ', lower after' : ''})`;
  if (!r.mitigatedBeforeKill) return { check, ok: null, detail: `not mitigated before the kill: ${detail}` };
  return { check, ok: r.protectionLostS === 0 && r.levelDropped !== true, detail };
}

/** The report lines of a restart. */
export function restartLines(r: RestartFigures): string[] {
  const n = (x: number | null): string => (x === null ? '-' : String(x));
  return [
    `RESTART  SIGKILL at ${r.atS.toFixed(1)} s (pid ${r.pidBefore} → ${r.pidAfter}), down ${r.downS.toFixed(1)} s; level before ${r.levelBefore ?? '-'}${r.levelDropped === null ? '' : r.levelDropped ? ', LOWER after the restart' : ', kept after the restart'}`,
    `  protection lost ${n(r.protectionLostS)} s (goal 0); after the restart ${n(r.reachedOriginAfter)} of ${n(r.sentAfter)} attack requests reached the origin; mitigated before the kill: ${r.mitigatedBeforeKill ?? '-'}`,
    ...(r.visitorsFailedWhileDown === undefined ? [] : [`  visitors: ${r.visitorsFailedWhileDown} requests failed while Bulwark was down (judged apart from "real visitors served")`]),
  ];
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
