/**
 * Turns what the attackers report (request floods, connection attacks) into the drill's common
 * {@link AttackFigures}, and adds several attackers' results together (a scenario may run two floods at
 * once, or one after the other).
 */
import type { AttackResult } from '../attackers/attack-result.ts';
import type { SlowAttackResult } from '../attackers/slow-connections.ts';
import type { RatePoint } from '../stats.ts';
import type { AttackFigures } from './context.ts';

/** Figures with everything at zero. */
export function emptyFigures(): AttackFigures {
  return { sent: 0, answered: 0, served: 0, challenged: 0, limited: 0, blocked: 0, shed: 0, dropped: 0, rejected: 0, failed: 0, timeout: 0, byStatus: {}, errors: {} };
}

/** The figures of one request flood (outcomes as its clients classified them). */
export function figuresOfFlood(r: AttackResult): AttackFigures {
  const o = r.byOutcome;
  return {
    sent: r.sent,
    answered: r.answered,
    served: o.served ?? 0,
    challenged: o.challenged ?? 0,
    limited: o.limited ?? 0,
    blocked: o.blocked ?? 0,
    shed: o.shed ?? 0,
    dropped: o.dropped ?? 0,
    rejected: o.rejected ?? 0,
    failed: o.failed ?? 0,
    timeout: o.timeout ?? 0,
    byStatus: { ...r.byStatus },
    errors: { ...r.errors },
  };
}

/**
 * The figures of a connection attack: `sent` counts connections opened, `dropped` the ones the server
 * closed without answering, and the statuses it answered before closing are classified like answers
 * (408 and 400 as rejected, 429 limited, 503 shed…).
 */
export function figuresOfSlow(r: SlowAttackResult): AttackFigures {
  const f = { ...emptyFigures(), byStatus: { ...r.answers }, errors: { ...r.connectErrors } } as { -readonly [K in keyof AttackFigures]: AttackFigures[K] };
  f.sent = r.opened;
  let answered = 0;
  for (const [key, n] of Object.entries(r.answers)) {
    const s = Number(key);
    answered += n;
    if (s === 429) f.limited += n;
    else if (s === 403) f.blocked += n;
    else if (s === 503) f.shed += n;
    else if (s >= 200 && s < 400) f.served += n;
    else if (s >= 400 && s < 500) f.rejected += n;
    else f.failed += n;
  }
  f.answered = answered;
  f.dropped = Math.max(0, r.closedByServer - answered);
  return f;
}

/** Adds figures together (counts and per-status / per-error tables). */
export function addFigures(parts: readonly AttackFigures[]): AttackFigures {
  const out = { ...emptyFigures(), byStatus: {} as Record<string, number>, errors: {} as Record<string, number> };
  const counts = ['sent', 'answered', 'served', 'challenged', 'limited', 'blocked', 'shed', 'dropped', 'rejected', 'failed', 'timeout'] as const;
  for (const p of parts) {
    for (const k of counts) (out as Record<string, unknown>)[k] = (out[k] as number) + p[k];
    for (const [k, v] of Object.entries(p.byStatus)) out.byStatus[k] = (out.byStatus[k] ?? 0) + v;
    for (const [k, v] of Object.entries(p.errors)) out.errors[k] = (out.errors[k] ?? 0) + v;
  }
  return out;
}

/** Adds per-second series together (by unix second), oldest first. */
export function addSeries(parts: ReadonlyArray<readonly RatePoint[]>): RatePoint[] {
  const sum = new Map<number, number>();
  for (const series of parts) for (const p of series) sum.set(p.second, (sum.get(p.second) ?? 0) + p.count);
  return [...sum.entries()].sort((a, b) => a[0] - b[0]).map(([second, count]) => ({ second, count }));
}

/** The longest-running reason among several attackers' stops (`signal` beats `duration` beats `count`). */
export function stoppedByOf(reasons: readonly string[]): string {
  for (const r of ['signal', 'duration', 'count']) if (reasons.includes(r)) return r;
  return reasons[0] ?? 'count';
}
