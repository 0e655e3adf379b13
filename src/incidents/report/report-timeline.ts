/**
 * The timeline part of the report model: the per-second timeline condensed into at most `maxPoints`
 * buckets (mean requests per second by outcome group, the highest threat level of the bucket), and the
 * actions as markers — level changes, signature rules applied and retired. Outcome groups, as a reader
 * of the chart sees them:
 * - `served`: forwarded, cached, stale — answered with content;
 * - `challenged`: a challenge page;
 * - `refused`: limited, blocked, dropped, tarpitted, rejected — Bulwark said no;
 * - `failed`: shed, failed, abandoned, error — nobody got an answer (origin overloaded, unreachable, gone).
 */
import type { Outcome, ThreatLevel } from '../../core/vocabulary.ts';
import type { IncidentSecond } from '../../stores/index.ts';
import type { ActionsJson } from '../incident-json.ts';
import type { MarkerJson, TimelinePointJson } from './report-types.ts';

/** Chart buckets at most (an A4 page is ~180 mm wide: one bucket per 0.75 mm). */
export const MAX_TIMELINE_POINTS = 240;

const GROUP: Readonly<Record<Outcome, 'served' | 'challenged' | 'refused' | 'failed'>> = {
  forwarded: 'served', cached: 'served', stale: 'served', challenged: 'challenged',
  limited: 'refused', blocked: 'refused', dropped: 'refused', tarpitted: 'refused', rejected: 'refused',
  shed: 'failed', failed: 'failed', abandoned: 'failed', error: 'failed',
};
const RANK: Record<ThreatLevel, number> = { normal: 0, elevated: 1, under_attack: 2 };
const r2 = (v: number): number => Math.round(v * 100) / 100;

/** The condensed timeline: bucket width in seconds, the start, and the points. */
export function timelinePoints(timeline: readonly IncidentSecond[], maxPoints = MAX_TIMELINE_POINTS): { bucketSeconds: number; start: number; points: TimelinePointJson[] } {
  if (timeline.length === 0) return { bucketSeconds: 1, start: 0, points: [] };
  const start = timeline[0]!.t;
  const span = Math.max(1, Math.round((timeline[timeline.length - 1]!.t - start) / 1000) + 1);
  const width = Math.max(1, Math.ceil(span / maxPoints));
  const buckets = new Map<number, { served: number; challenged: number; refused: number; failed: number; level: ThreatLevel }>();
  for (const s of timeline) {
    const b = Math.floor((s.t - start) / 1000 / width);
    let acc = buckets.get(b);
    if (acc === undefined) buckets.set(b, (acc = { served: 0, challenged: 0, refused: 0, failed: 0, level: 'normal' }));
    let counted = 0;
    for (const [o, n] of Object.entries(s.outcomes ?? {})) {
      const g = GROUP[o as Outcome];
      if (g === undefined || !(n! > 0)) continue;
      acc[g] += n!;
      counted += n!;
    }
    // Requests whose outcome was not itemised (older rows) count as served: the chart's total stays right.
    if (s.requests > counted) acc.served += s.requests - counted;
    if (RANK[s.level] > RANK[acc.level]) acc.level = s.level;
  }
  const points = [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([b, v]) => ({ t: start + b * width * 1000, served: r2(v.served / width), challenged: r2(v.challenged / width), refused: r2(v.refused / width), failed: r2(v.failed / width), level: v.level }));
  return { bucketSeconds: width, start, points };
}

/** Level changes and signature rules as timeline markers, in time order. */
export function timelineMarkers(actions: ActionsJson): MarkerJson[] {
  const out: MarkerJson[] = [];
  for (const c of actions.level_changes) out.push({ t: c.at_ms, kind: 'level', label: `level ${c.from} → ${c.to}${c.by === 'override' ? ' (operator)' : ''}` });
  for (const r of actions.rules) {
    if (r.applied_ms !== null) out.push({ t: r.applied_ms, kind: 'rule_applied', label: `rule applied: ${r.action} ${r.id}` });
    if (r.retired_ms !== null) out.push({ t: r.retired_ms, kind: 'rule_retired', label: `rule retired: ${r.id}` });
  }
  return out.sort((a, b) => a.t - b.t || (a.label < b.label ? -1 : 1));
}

/**
 * Added latency: the median of the per-second origin p50 latency in the seconds above normal minus the
 * median in the incident's seconds at normal (its calm tail and start); null when either is missing.
 */
export function addedLatencyMs(timeline: readonly IncidentSecond[]): number | null {
  const attack: number[] = [];
  const calm: number[] = [];
  for (const s of timeline) {
    const p = (s.extra as { origin_p50_ms?: unknown } | null | undefined)?.origin_p50_ms;
    if (typeof p !== 'number' || !Number.isFinite(p)) continue;
    (s.level === 'normal' ? calm : attack).push(p);
  }
  if (attack.length === 0 || calm.length === 0) return null;
  return Math.round((median(attack) - median(calm)) * 10) / 10;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
