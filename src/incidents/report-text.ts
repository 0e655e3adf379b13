/**
 * Plain-text rendering of incidents for the terminal (`bulwark incidents list|show`): aligned tables,
 * no colour, nothing wider than it needs. Reads the stored JSON defensively (incident-json.ts), so an
 * incident written by an older or newer version still prints what it can.
 */
import type { IncidentRecord, IncidentSecond, IncidentWithTimeline } from '../stores/index.ts';
import { OUTCOMES, type ThreatLevel } from '../core/vocabulary.ts';
import { DIMENSION_FIELD, MITIGATED_OUTCOMES, parseActions, parseVisitors } from './incident-json.ts';

const RANK: Record<ThreatLevel, number> = { normal: 0, elevated: 1, under_attack: 2 };

/** Aligned columns, two spaces apart. */
export function formatTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [head, ...rows].map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(x >= 0.999 || x < 0.001 ? 1 : 2)}%`);
const ms = (x: number | null): string => (x === null ? '-' : `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`);
const time = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString().replace('.000Z', 'Z'));

/** `1h 02m 03s` style. */
export function formatSeconds(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m ${String(sec).padStart(2, '0')}s` : m > 0 ? `${m}m ${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** Seconds from opening to closing (or to the last second written while open). */
export function durationS(r: IncidentRecord): number {
  const end = r.closedAtMs ?? (r.lastSecondMs !== null ? r.lastSecondMs + 1000 : r.updatedAtMs);
  return Math.max(0, Math.round((end - r.openedAtMs) / 1000));
}

/** The incident list as a table. */
export function renderIncidentList(records: readonly IncidentRecord[]): string {
  if (records.length === 0) return 'no incidents\n';
  const rows = records.map((r) => [
    r.id, r.site, r.status === 'open' ? 'open' : `closed/${r.closeReason ?? '-'}`, time(r.openedAtMs), formatSeconds(durationS(r)), r.peakLevel, r.severity,
    int(r.peakRps), int(r.totalRequests), int(r.distinctSources), r.linkedTo ? `${r.linkVerdict} ${r.linkedTo}` : '-',
  ]);
  return formatTable(['ID', 'SITE', 'STATUS', 'OPENED', 'DURATION', 'PEAK LEVEL', 'SEVERITY', 'PEAK RPS', 'REQUESTS', 'SOURCES', 'LINK'], rows);
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Which baseline the normal figure came from: ` (the hour-of-week normal for Tue 20:00 UTC)`, ` (recent baseline)` or '' (older records). */
function normalBasis(b: Record<string, unknown>): string {
  if (typeof b.basis !== 'string') return '';
  if (b.basis === 'recent') return ' (recent baseline)';
  return ` (the ${b.basis.replace(/_/g, '-')} normal${typeof b.slot === 'string' ? ` for ${b.slot}` : ''})`;
}

function headline(r: IncidentRecord): string[] {
  const s = obj(r.summary);
  const lines = [
    `Incident ${r.id} on ${r.site}: ${r.status === 'open' ? 'OPEN' : `closed (${r.closeReason ?? '-'})`}`,
    `  opened     ${time(r.openedAtMs)}${r.closedAtMs !== null ? `   closed ${time(r.closedAtMs)}` : ''}   duration ${formatSeconds(durationS(r))}` +
      (typeof s.abnormal_seconds === 'number' ? `, ${formatSeconds(s.abnormal_seconds)} above normal` : ''),
    `  severity   ${r.severity}${typeof s.severity_score === 'number' ? ` (score ${s.severity_score})` : ''}${Array.isArray(s.severity_reasons) && s.severity_reasons.length > 0 ? `: ${s.severity_reasons.join('; ')}` : ''}`,
    `  peak       ${int(r.peakRps)} req/s, level ${r.peakLevel}; ${int(r.totalRequests)} requests; ~${int(r.distinctSources)} distinct sources`,
  ];
  const b = obj(s.baseline);
  if (typeof b.rps === 'number') lines.push(`  normal     ${b.rps.toFixed(1)} req/s, ${Number(b.distinct_per_second ?? 0).toFixed(1)} clients/s${normalBasis(b)}${b.warm === false ? ' (baseline still warming up)' : ''}`);
  if (typeof s.trigger === 'string') lines.push(`  trigger    ${s.trigger}${typeof s.gap_seconds === 'number' && s.gap_seconds > 0 ? `; ${formatSeconds(s.gap_seconds)} not observed (restart)` : ''}`);
  if (r.linkedTo !== null) lines.push(`  link       ${r.linkVerdict} → ${r.linkedTo}: ${String(obj(r.linkEvidence).reason ?? '')}`);
  if (r.addressesTruncated) lines.push('  privacy    addresses stored truncated (/24, /48)');
  if (r.sourceDataPurgedAtMs !== null) lines.push(`  privacy    address-level source data removed ${time(r.sourceDataPurgedAtMs)}`);
  return lines;
}

function tops(r: IncidentRecord): string[] {
  const top = obj(obj(r.summary).top);
  const rows: string[][] = [];
  for (const field of Object.values(DIMENSION_FIELD)) {
    const list = Array.isArray(top[field]) ? (top[field] as unknown[]) : [];
    for (const e of list.slice(0, 5)) {
      const x = obj(e);
      rows.push([field, String(x.key).slice(0, 70), pct(typeof x.share === 'number' ? x.share : null), typeof x.count === 'number' ? int(x.count) : '-']);
    }
  }
  if (rows.length === 0) return ['', 'Top sources: none recorded'];
  return ['', 'Top sources (share of uncleared requests)', ...formatTable(['DIMENSION', 'KEY', 'SHARE', 'REQUESTS'], rows).trimEnd().split('\n').map((l) => `  ${l}`)];
}

function actions(r: IncidentRecord): string[] {
  const a = parseActions(r.actions);
  const out = ['', 'Actions'];
  for (const c of a.level_changes) out.push(`  ${time(c.at_ms)}  ${c.from} → ${c.to} (${c.by})${c.reason ? `: ${c.reason.slice(0, 160)}` : ''}`);
  if (a.level_changes_dropped > 0) out.push(`  ... ${a.level_changes_dropped} more level changes`);
  if (a.rules.length > 0) {
    const rows = a.rules.map((x) => [x.id.slice(0, 60), x.action, x.mode, x.applied_ms !== null ? time(x.applied_ms) : 'never', int(x.requests), pct(x.collateral), x.retired_ms !== null ? time(x.retired_ms) : 'active']);
    out.push(...formatTable(['RULE', 'ACTION', 'MODE', 'APPLIED', 'REQUESTS', 'COLLATERAL', 'RETIRED'], rows).trimEnd().split('\n').map((l) => `  ${l}`));
    for (const x of a.rules.slice(0, 10)) out.push(`    ${x.id.slice(0, 60)}: ${x.reason.slice(0, 200)}`);
  }
  const total = OUTCOMES.reduce((n, o) => n + (a.outcomes[o] ?? 0), 0);
  out.push(`  outcomes: ${OUTCOMES.filter((o) => (a.outcomes[o] ?? 0) > 0).map((o) => `${o} ${int(a.outcomes[o]!)}`).join(', ') || 'none'}`);
  out.push(`  mitigated: ${int(a.mitigated_requests)} of ${int(total)} requests (${MITIGATED_OUTCOMES.join(', ')})`);
  const decisions = Object.entries(a.by_decision).sort((x, y) => y[1] - x[1]).slice(0, 10);
  if (decisions.length > 0) out.push(`  decided by: ${decisions.map(([k, n]) => `${k} ${int(n)}`).join(', ')}`);
  return out;
}

function visitors(r: IncidentRecord): string[] {
  const v = parseVisitors(r.visitors);
  return [
    '',
    'Visitors',
    `  cleared visitors: ${int(v.cleared_requests)} requests, ${pct(v.cleared_success_rate)} served, origin latency p50 ${ms(v.cleared_origin_latency_p50_ms)}, p99 ${ms(v.cleared_origin_latency_p99_ms)}`,
    `  challenges: ${int(v.challenges_issued)} issued, ${int(v.challenges_solved)} solved (${pct(v.challenge_solve_rate)}), ${int(v.challenges_failed)} failed answers`,
    `  origin: ${int(v.origin_responses)} answers, ${int(v.origin_errors)} errors`,
  ];
}

/** The timeline grouped into at most `maxRows` rows: max level, mean and peak rate, max distinct, mitigated. */
export function condenseTimeline(timeline: readonly IncidentSecond[], maxRows: number): string[][] {
  if (timeline.length === 0) return [];
  const per = Math.max(1, Math.ceil(timeline.length / maxRows));
  const rows: string[][] = [];
  for (let i = 0; i < timeline.length; i += per) {
    const group = timeline.slice(i, i + per);
    let level: ThreatLevel = 'normal';
    let sum = 0, peak = 0, distinct = 0, mitigated = 0;
    for (const s of group) {
      if (RANK[s.level] > RANK[level]) level = s.level;
      sum += s.requests;
      peak = Math.max(peak, s.requests);
      distinct = Math.max(distinct, s.distinct);
      for (const o of MITIGATED_OUTCOMES) mitigated += s.outcomes?.[o] ?? 0;
    }
    rows.push([time(group[0]!.t), `${group.length}s`, level, int(sum / group.length), int(peak), int(distinct), sum > 0 ? pct(mitigated / sum) : '-']);
  }
  return rows;
}

/** The full text report of one incident. */
export function renderIncidentText(r: IncidentRecord | IncidentWithTimeline, options: { maxTimelineRows?: number } = {}): string {
  const lines = [...headline(r), ...tops(r), ...actions(r), ...visitors(r)];
  const timeline = 'timeline' in r ? r.timeline : [];
  if (timeline.length > 0) {
    const rows = condenseTimeline(timeline, options.maxTimelineRows ?? 40);
    lines.push('', `Timeline (${timeline.length} s${r.timelineDropped > 0 ? `, ${r.timelineDropped} s over the cap not stored` : ''})`);
    lines.push(...formatTable(['FROM', 'SPAN', 'LEVEL', 'REQ/S', 'PEAK', 'DISTINCT', 'MITIGATED'], rows).trimEnd().split('\n').map((l) => `  ${l}`));
  }
  return lines.join('\n') + '\n';
}
