/**
 * Incident rows: validation of what the detector writes, JSON encoding (with the address truncation of
 * address-redaction.ts when enabled, and a size cap), ids, and mapping SQLite rows back to records.
 */
import { OUTCOMES, THREAT_LEVELS, type ThreatLevel } from '../core/vocabulary.ts';
import { truncateAddressesInJson } from './address-redaction.ts';
import { checkMs, invalidState, StateError } from './state-error.ts';
import type { IncidentRecord, IncidentSecond, IncidentSeverity, IncidentUpdate, LinkVerdict } from './types.ts';

/** Largest JSON field (summary, actions, visitors, evidence) stored, in UTF-16 code units. Default 1 MiB. */
export const DEFAULT_MAX_JSON_CHARS = 1 << 20;

const SEVERITIES: readonly IncidentSeverity[] = ['low', 'medium', 'high', 'critical'];
const VERDICTS: readonly LinkVerdict[] = ['same_actor', 'copycat', 'different'];
const OUTCOME_SET = new Set<string>(OUTCOMES);
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Rank of a threat level (normal 0, elevated 1, under_attack 2); -1 when unknown. */
export function levelRank(level: string): number {
  return THREAT_LEVELS.indexOf(level as ThreatLevel);
}

/** The row shape of the `incidents` table. */
export interface IncidentRow {
  id: string;
  site: string;
  opened_at_ms: number;
  closed_at_ms: number | null;
  status: 'open' | 'closed';
  close_reason: IncidentRecord['closeReason'];
  peak_level: ThreatLevel;
  severity: IncidentSeverity;
  peak_rps: number;
  total_requests: number;
  distinct_sources: number;
  summary: string;
  actions: string;
  visitors: string;
  linked_to: string | null;
  link_verdict: LinkVerdict | null;
  link_evidence: string | null;
  fingerprint: string | null;
  last_second_ms: number | null;
  timeline_seconds: number;
  timeline_dropped: number;
  addresses_truncated: number;
  source_data_purged_at_ms: number | null;
  updated_at_ms: number;
}

/** The row shape of the `incident_seconds` table (without the incident id). */
export interface SecondRow {
  t: number;
  requests: number;
  distinct_sources: number;
  level: ThreatLevel;
  outcomes: string | null;
  extra: string | null;
}

function parseJson(text: string | null, fallback: unknown): unknown {
  if (text === null) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    return fallback; // unreadable field: the rest of the incident is still worth showing
  }
}

/** A row of `incidents` as an {@link IncidentRecord}. */
export function rowToIncident(r: IncidentRow): IncidentRecord {
  return {
    id: r.id,
    site: r.site,
    openedAtMs: r.opened_at_ms,
    closedAtMs: r.closed_at_ms,
    status: r.status,
    closeReason: r.close_reason,
    peakLevel: r.peak_level,
    severity: r.severity,
    peakRps: r.peak_rps,
    totalRequests: r.total_requests,
    distinctSources: r.distinct_sources,
    summary: parseJson(r.summary, {}),
    actions: parseJson(r.actions, []),
    visitors: parseJson(r.visitors, {}),
    linkedTo: r.linked_to,
    linkVerdict: r.link_verdict,
    linkEvidence: parseJson(r.link_evidence, null),
    fingerprint: parseJson(r.fingerprint ?? null, null),
    lastSecondMs: r.last_second_ms,
    timelineSeconds: r.timeline_seconds,
    timelineDropped: r.timeline_dropped,
    addressesTruncated: r.addresses_truncated === 1,
    sourceDataPurgedAtMs: r.source_data_purged_at_ms,
    updatedAtMs: r.updated_at_ms,
  };
}

/** A row of `incident_seconds` as an {@link IncidentSecond}. */
export function rowToSecond(r: SecondRow): IncidentSecond {
  const s: { -readonly [K in keyof IncidentSecond]: IncidentSecond[K] } = { t: r.t, requests: r.requests, distinct: r.distinct_sources, level: r.level };
  if (r.outcomes !== null) s.outcomes = parseJson(r.outcomes, {}) as IncidentSecond['outcomes'];
  if (r.extra !== null) s.extra = parseJson(r.extra, null);
  return s;
}

/** JSON text of a field, addresses truncated when asked; BULWARK_ERR_STATE_TOO_LARGE above `maxChars`. */
export function encodeJson(value: unknown, field: string, truncate: boolean, maxChars: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(truncate ? truncateAddressesInJson(value) : value);
  } catch (err) {
    invalidState(`incident ${field} is not JSON-serialisable: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (text === undefined) invalidState(`incident ${field} is not a JSON value`);
  if (text.length > maxChars) {
    throw new StateError('BULWARK_ERR_STATE_TOO_LARGE', `incident ${field} is ${text.length} characters, above the cap of ${maxChars}`);
  }
  return text;
}

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) invalidState(`${what} must be a finite non-negative number, got ${String(v)}`);
  return v;
}

/** Checks one timeline second; returns `[outcomesJson, extraJson]` ready for the insert. */
export function checkSecond(s: IncidentSecond, truncate: boolean): [string | null, string | null] {
  checkMs(s.t, 'timeline t');
  count(s.requests, 'timeline requests');
  count(s.distinct, 'timeline distinct');
  if (levelRank(s.level) < 0) invalidState(`timeline level must be one of ${THREAT_LEVELS.join(', ')}, got ${String(s.level)}`);
  let outcomes: string | null = null;
  if (s.outcomes !== undefined) {
    const kept: Record<string, number> = {};
    let any = false;
    for (const [k, v] of Object.entries(s.outcomes)) {
      if (!OUTCOME_SET.has(k)) invalidState(`timeline outcome ${JSON.stringify(k)} is not an Outcome`);
      if (count(v, `timeline outcome ${k}`) > 0) {
        kept[k] = v as number;
        any = true;
      }
    }
    if (any) outcomes = JSON.stringify(kept);
  }
  const extra = s.extra === undefined ? null : encodeJson(s.extra, 'timeline extra', truncate, 64 * 1024);
  return [outcomes, extra];
}

/** Checks the scalar fields of an update (JSON fields are checked by {@link encodeJson}). */
export function checkUpdate(u: IncidentUpdate): void {
  if (u.peakLevel !== undefined && levelRank(u.peakLevel) < 0) invalidState(`peakLevel must be one of ${THREAT_LEVELS.join(', ')}`);
  if (u.severity !== undefined && !SEVERITIES.includes(u.severity)) invalidState(`severity must be one of ${SEVERITIES.join(', ')}`);
  if (u.linkVerdict !== undefined && u.linkVerdict !== null && !VERDICTS.includes(u.linkVerdict)) invalidState(`linkVerdict must be one of ${VERDICTS.join(', ')} or null`);
  if (u.peakRps !== undefined) count(u.peakRps, 'peakRps');
  if (u.totalRequests !== undefined) count(u.totalRequests, 'totalRequests');
  if (u.distinctSources !== undefined) count(u.distinctSources, 'distinctSources');
}

/** Checks an explicit incident id (letters, digits, `._:-`, at most 64). */
export function checkId(id: string): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) invalidState(`incident id ${JSON.stringify(id)} is not valid`);
  return id;
}

/** `inc-YYYYMMDD-` for the UTC day of `ms`. */
export function idDayPrefix(ms: number): string {
  return `inc-${new Date(ms).toISOString().slice(0, 10).replace(/-/g, '')}-`;
}

/**
 * The id after `lastId` within a day: `inc-YYYYMMDD-0001`, `-0002`, ... `-9999`, then `-9999-10000`, so ids
 * keep sorting in opening order (up to 99,999 incidents a day).
 */
export function nextIncidentId(dayPrefix: string, lastId: string | undefined): string {
  let n = 1;
  if (lastId !== undefined) {
    const tail = lastId.slice(dayPrefix.length);
    const seq = Number(tail.slice(tail.lastIndexOf('-') + 1));
    n = Number.isSafeInteger(seq) ? seq + 1 : 1;
  }
  return n <= 9999 ? dayPrefix + String(n).padStart(4, '0') : `${dayPrefix}9999-${n}`;
}
