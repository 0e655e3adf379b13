/**
 * The incident store's interface and its records: one record per incident with its summary, actions
 * and visitors as JSON, its per-second timeline, and recovery of incidents left open by a crash.
 * Implemented on SQLite (incident-store.ts) and Redis (redis/redis-incident-store.ts); both pass
 * conformance/incident-store-conformance.ts.
 */
import type { Outcome, ThreatLevel } from '../core/vocabulary.ts';

export type IncidentStatus = 'open' | 'closed';
export type IncidentSeverity = 'low' | 'medium' | 'high' | 'critical';
/** How a recurrence relates to an earlier incident (see core/detect/incident-fingerprint.ts). */
export type LinkVerdict = 'same_actor' | 'copycat' | 'different';
/** Why an incident closed: calm returned, Bulwark stopped mid-incident, or an operator closed it. */
export type CloseReason = 'calm' | 'interrupted' | 'manual';

/**
 * Suggested shape of an incident's `summary` (any JSON is stored): `top` lists per dimension
 * (`address`, `prefix`, `asn`, `country`, `path`, `userAgent`, `fingerprint`), each entry with its count
 * and/or share. `top.address` is the address-level source data that retention removes; every IP address
 * anywhere in the stored JSON is truncated when `truncateAddresses` is on.
 */
export interface IncidentSummaryShape {
  readonly top?: { readonly [dimension: string]: ReadonlyArray<{ readonly key: string | number; readonly count?: number; readonly share?: number }> | undefined };
}

/** A stored incident, without its timeline. JSON fields are returned parsed. */
export interface IncidentRecord {
  /** Sortable id, `inc-YYYYMMDD-NNNN` (UTC day of opening, sequence within the day). */
  readonly id: string;
  readonly site: string;
  readonly openedAtMs: number;
  readonly closedAtMs: number | null;
  readonly status: IncidentStatus;
  readonly closeReason: CloseReason | null;
  /** Highest threat level reached (raised automatically by timeline seconds). */
  readonly peakLevel: ThreatLevel;
  readonly severity: IncidentSeverity;
  /** Highest per-second request count (raised automatically by timeline seconds). */
  readonly peakRps: number;
  /** Sum of the timeline's requests (maintained by `appendSeconds`; `update` may set it). */
  readonly totalRequests: number;
  /** Distinct sources over the whole incident (an estimate the detector provides). */
  readonly distinctSources: number;
  /** Top sources and patterns (see {@link IncidentSummaryShape}). */
  readonly summary: unknown;
  /** Every action taken and its effect (requests dropped / challenged / limited, rules with evidence). */
  readonly actions: unknown;
  /** What real visitors experienced (cleared visitors' success rate and latency, challenge solve rate). */
  readonly visitors: unknown;
  readonly linkedTo: string | null;
  readonly linkVerdict: LinkVerdict | null;
  readonly linkEvidence: unknown;
  /**
   * The attack fingerprint (src/incidents/fingerprint/): per-attack distributions of paths, methods, user
   * agents, header fingerprints and source networks, in the style of the DDoS Clearing House format;
   * null when none was stored (incidents recorded before fingerprints existed). Its `source_ips` are
   * address-level data: retention removes them, and they are truncated when `truncateAddresses` is on.
   * Optional in the type so records built by hand (tests, imports) need not carry one.
   */
  readonly fingerprint?: unknown;
  /** Start of the last timeline second written, or null. */
  readonly lastSecondMs: number | null;
  /** Timeline rows stored, and rows refused because the per-incident cap was reached. */
  readonly timelineSeconds: number;
  readonly timelineDropped: number;
  /** True when addresses were truncated at write time (/24, /48). */
  readonly addressesTruncated: boolean;
  /** When retention removed address-level source data, or null. */
  readonly sourceDataPurgedAtMs: number | null;
  readonly updatedAtMs: number;
}

/** One second of an incident's timeline. */
export interface IncidentSecond {
  /** Start of the second, ms since the epoch (one row per `t` per incident: a repeated `t` is ignored). */
  readonly t: number;
  /** Requests seen in that second (all outcomes). */
  readonly requests: number;
  /** Distinct sources in that second (estimate). */
  readonly distinct: number;
  /** The site's threat level during that second. */
  readonly level: ThreatLevel;
  /** Requests by outcome; zero counts may be omitted. */
  readonly outcomes?: Partial<Record<Outcome, number>>;
  /** Anything else worth plotting (origin latency, queue length...), small JSON. */
  readonly extra?: unknown;
}

/** An incident with its timeline, oldest second first. */
export interface IncidentWithTimeline extends IncidentRecord {
  readonly timeline: IncidentSecond[];
}

/** Fields the detector may set while an incident runs (every field optional). */
export interface IncidentUpdate {
  readonly peakLevel?: ThreatLevel;
  readonly severity?: IncidentSeverity;
  readonly peakRps?: number;
  readonly totalRequests?: number;
  readonly distinctSources?: number;
  readonly summary?: unknown;
  readonly actions?: unknown;
  readonly visitors?: unknown;
  readonly linkedTo?: string | null;
  readonly linkVerdict?: LinkVerdict | null;
  readonly linkEvidence?: unknown;
  /** The attack fingerprint (see {@link IncidentRecord.fingerprint}); null removes it. */
  readonly fingerprint?: unknown;
  /** Time of the update (`updatedAtMs`). Default: the clock of the store. */
  readonly nowMs?: number;
}

/** Input of `open`. */
export interface OpenIncidentInput extends Omit<IncidentUpdate, 'nowMs'> {
  readonly site: string;
  readonly openedAtMs: number;
  /** Explicit id (tests, imports). Default: the next `inc-YYYYMMDD-NNNN`. */
  readonly id?: string;
}

/** Final values at `close` plus why it closed (default `calm`). */
export interface CloseIncidentInput extends Omit<IncidentUpdate, 'nowMs'> {
  readonly reason?: CloseReason;
}

/** What `appendSeconds` did with the rows. */
export interface AppendSecondsResult {
  readonly inserted: number;
  /** Rows whose `t` was already stored (ignored: the first write wins). */
  readonly duplicates: number;
  /** Rows refused because the incident's timeline is at its cap. */
  readonly dropped: number;
}

/** Options of `list`. */
export interface ListIncidentsOptions {
  readonly site?: string;
  readonly status?: IncidentStatus;
  /** Most rows, newest first. Default 50, at most 1000. */
  readonly limit?: number;
  /** Only incidents opened before this time (paging). */
  readonly openedBeforeMs?: number;
}

/** What to do with incidents still open at start-up (Bulwark stopped or crashed mid-incident). */
export interface RecoverOpenOptions {
  /** `continue`: keep appending to them; `close_interrupted`: close them as `interrupted` at their last second. */
  readonly policy: 'continue' | 'close_interrupted';
  readonly nowMs: number;
  /** With `continue`, an incident silent for longer than this is closed as interrupted anyway. Default 5 min. */
  readonly maxGapMs?: number;
}

/** Fill levels of the incident store. */
export interface IncidentStoreStats {
  readonly incidents: number;
  readonly open: number;
  readonly timelineRows: number;
  readonly maxIncidents: number;
  readonly maxTimelineSeconds: number;
}

/** Durable incidents with per-second timelines. */
export interface IncidentStore {
  /** Opens an incident (one open incident per site; a second is BULWARK_ERR_STATE_CONFLICT). */
  open(input: OpenIncidentInput): Promise<IncidentRecord>;
  /** Appends timeline seconds in one transaction; raises peak level/rps and adds to total requests. */
  appendSeconds(id: string, rows: readonly IncidentSecond[]): Promise<AppendSecondsResult>;
  /** Sets the given fields; also allowed once closed (e.g. a link verdict computed after the close). */
  update(id: string, partial: IncidentUpdate): Promise<IncidentRecord>;
  /** Closes an open incident with its final values. Closing a closed incident is a conflict. */
  close(id: string, closedAtMs: number, final?: CloseIncidentInput): Promise<IncidentRecord>;
  /** One incident with its timeline (`timeline: false` skips it), or undefined. */
  get(id: string, options?: { readonly timeline?: boolean }): Promise<IncidentWithTimeline | undefined>;
  /** Incidents, newest first. */
  list(options?: ListIncidentsOptions): Promise<IncidentRecord[]>;
  /** The `n` most recently closed incidents of a site, newest first (recurrence comparison). */
  latestClosed(site: string, n: number): Promise<IncidentRecord[]>;
  /** Incidents still open (after a restart: those interrupted by it). */
  openIncidents(): Promise<IncidentRecord[]>;
  /** Applies a {@link RecoverOpenOptions} policy to every open incident. */
  recoverOpen(options: RecoverOpenOptions): Promise<{ continued: IncidentRecord[]; closed: IncidentRecord[] }>;
  /**
   * Privacy retention: for incidents closed before `olderThanMs`, removes address-level source data
   * (`summary.top.address`, the fingerprint's `source_ips`), truncates every other IP address or prefix in the stored JSON to /24 or /48,
   * and keeps the aggregates. Idempotent. Returns incidents rewritten.
   */
  purgeSourceData(olderThanMs: number, nowMs?: number): Promise<number>;
  /** Deletes incidents (and timelines) closed before `closedBeforeMs`. Returns incidents deleted. */
  deleteClosedBefore(closedBeforeMs: number): Promise<number>;
  stats(): Promise<IncidentStoreStats>;
}
