/**
 * The durable stores' interfaces (ARCHITECTURE.md, "State"). The embedded implementation is SQLite
 * (`createSqlite*Store`); a Redis/Valkey one can be added later and must pass the same conformance suites
 * (`./conformance/`). Durable operations return promises for that reason; the SQLite implementation does
 * its work synchronously before returning, so once the call returns the write is committed.
 *
 * The one synchronous part is the ban mirror (`isBanned`, `bannedKey`, `matchAddress`): the accept phase asks
 * it for every new connection, so it must answer from memory in O(1).
 */
import type { Outcome, ThreatLevel } from '../core/vocabulary.ts';
import type { BanMirrorWatcher } from './ban-mirror.ts';

// ---------------------------------------------------------------------------------------------- bans

/** What a ban covers: one address, or every address of a prefix. */
export type BanScope = 'address' | 'prefix';
/** Who made the ban: escalation / detector (`auto`) or an operator (`manual`). */
export type BanSource = 'auto' | 'manual';
/** Who changed a ban, for the audit log: the process itself, an operator by hand, the CLI or the admin API. */
export type AuditActor = 'auto' | 'manual' | 'cli' | 'admin';

/**
 * A stored ban. `key` is canonical: an address as `normalizeAddress` gives it
 * (`203.0.113.7`, `2001:db8::1`), or a prefix as `prefixKey` gives it (`203.0.113.0/24`, `2001:db8::/64`).
 * Host prefixes (/32, /128) are stored as addresses.
 */
export interface StoredBan {
  readonly key: string;
  readonly scope: BanScope;
  /** Human-readable why, e.g. `escalation/limit/login`. */
  readonly reason: string;
  /** What produced it: `limit/<name>`, `manual`, `challenge/failures`, `detector`. */
  readonly by: string;
  /** Escalation rung, 1-based (0 for manual bans outside the ladder). */
  readonly level: number;
  readonly createdAtMs: number;
  /** End of the ban, ms since the epoch (exclusive: banned while `nowMs < untilMs`). */
  readonly untilMs: number;
  readonly source: BanSource;
}

/** Result of `add`: what happened, and the ban now in force for that key (undefined when refused). */
export interface AddBanResult {
  /**
   * - `added`: no active ban existed; `extended`: the new ban ends later and replaced the old one;
   * - `replaced`: `replace: true` overwrote a ban that ended later (a manual shortening);
   * - `unchanged`: an active ban ending at the same time or later already existed (a longer ban wins);
   * - `refused_full`: the mirror is at its cap and the ban is automatic (nothing stored; see stats).
   */
  readonly change: 'added' | 'extended' | 'replaced' | 'unchanged' | 'refused_full';
  readonly ban: StoredBan | undefined;
}

/** Options of `BanStore.add`. */
export interface AddBanOptions {
  /** Audit actor. Default: `auto` for `source: 'auto'`, `manual` otherwise. */
  readonly actor?: AuditActor;
  /** Overwrite even when the existing ban ends later (an operator shortening a ban). Default false. */
  readonly replace?: boolean;
  /** Time of the change, for "is the existing ban still active" and the audit. Default `ban.createdAtMs`. */
  readonly nowMs?: number;
}

/** One audit log row: every add, extension, replacement and removal of a ban. */
export interface BanAuditEntry {
  /** Increasing id (never reused). */
  readonly id: number;
  readonly atMs: number;
  readonly action: 'add' | 'extend' | 'replace' | 'remove';
  readonly key: string;
  readonly actor: AuditActor;
  /** The ban after the change, or the ban removed. */
  readonly ban: StoredBan | null;
}

/** Fill levels of the ban store (for /metrics and the admin API). */
export interface BanStoreStats {
  /** Bans in the in-memory mirror (active, or expired and not yet noticed). */
  readonly mirrored: number;
  /** Mirror cap; automatic bans beyond it are refused. */
  readonly cap: number;
  /** Automatic bans refused because the mirror was full, since start. */
  readonly refusedFull: number;
  /** Active bans found in the database at load that did not fit under the cap. */
  readonly notLoaded: number;
  /** Prefix lengths that currently have at least one ban, per family (what `matchAddress` looks up). */
  readonly prefixLengths: { readonly v4: readonly number[]; readonly v6: readonly number[] };
}

/** Options of `BanStore.list`. */
export interface ListBansOptions {
  readonly nowMs: number;
  /** Include bans that have ended but are not purged yet. Default false. */
  readonly includeExpired?: boolean;
  /** Most rows returned, soonest-ending last. Default 10,000. */
  readonly limit?: number;
}

/** Durable bans with expiry, plus an in-memory mirror of the active ones for the accept phase. */
export interface BanStore {
  /** Upserts a ban: a longer ban wins; an existing one is only shortened with `replace: true`. Audited. */
  add(ban: StoredBan, options?: AddBanOptions): Promise<AddBanResult>;
  /** Removes a ban by key (manual unban). Returns the removed ban, or undefined when there was none. Audited. */
  remove(key: string, options?: { readonly actor?: AuditActor; readonly nowMs?: number }): Promise<StoredBan | undefined>;
  /** The stored ban for a key (which may have ended but not been purged yet). */
  get(key: string): Promise<StoredBan | undefined>;
  /** Active bans at `nowMs`, latest-ending first, at most `limit` (default 10,000). */
  active(nowMs: number, options?: { readonly limit?: number }): Promise<StoredBan[]>;
  /** Stored bans, latest-ending first. */
  list(options: ListBansOptions): Promise<StoredBan[]>;
  /** Deletes ended bans from storage and mirror, and trims the audit log to its cap. Returns bans deleted. */
  purgeExpired(nowMs: number): Promise<number>;
  /** Audit rows, newest first (default 100), optionally for one key or after an id. */
  audit(options?: { readonly key?: string; readonly limit?: number; readonly afterId?: number }): Promise<BanAuditEntry[]>;
  /** Deletes audit rows older than `olderThanMs` (privacy retention). Returns rows deleted. */
  purgeAudit(olderThanMs: number): Promise<number>;
  /** Applies changes written by other processes (CLI, another node) to the mirror. Returns keys refreshed. */
  sync(): Promise<number>;
  /** Hot path: true when the address or one of the given prefix keys has an active ban. O(1 + prefixKeys). */
  isBanned(address: string, prefixKeys: readonly string[], nowMs: number): boolean;
  /** Like `isBanned`, returning the banned key (for `ban/<key>` decisions), or undefined. */
  bannedKey(address: string, prefixKeys: readonly string[], nowMs: number): string | undefined;
  /** The banned key covering an address at any prefix length in use, or undefined. O(lengths in use). */
  matchAddress(address: string, nowMs: number): string | undefined;
  /** Fill levels. */
  stats(): BanStoreStats;
  /**
   * Follows the in-memory mirror: every active key now, then every change (see ban-mirror.ts). For
   * consumers off the request path that keep a copy, such as the kernel-drop set. Returns an unsubscribe.
   */
  watch?(watcher: BanMirrorWatcher): () => void;
}

// ----------------------------------------------------------------------------------------- incidents

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

// -------------------------------------------------------------------------------- baselines, settings

/** A site's persisted detector baseline (`Baseline.toJSON()` output, see core/detect/baseline-json.ts). */
export interface BaselineRecord {
  readonly site: string;
  readonly updatedAtMs: number;
  readonly json: unknown;
}

/** Durable per-site baselines, so a restart does not forget what normal looks like. */
export interface BaselineStore {
  /** Stores the baseline unless a newer one (`updatedAtMs`) is stored. True when stored. */
  save(record: BaselineRecord): Promise<boolean>;
  load(site: string): Promise<BaselineRecord | undefined>;
  loadAll(): Promise<BaselineRecord[]>;
  delete(site: string): Promise<boolean>;
}

/** A stored setting. */
export interface KvEntry<T = unknown> {
  readonly key: string;
  readonly value: T;
  readonly updatedAtMs: number;
  /** When it stops applying, or null for never. */
  readonly expiresAtMs: number | null;
}

/**
 * Small durable settings with an optional expiry, e.g. a threat-level override:
 * key `mode/<site>`, value `{ level: 'under_attack', untilMs }`, `expiresAtMs: untilMs`.
 * Values are JSON; `get<T>` does not validate them: callers check what they read.
 */
export interface KvStore {
  /** The value, or undefined when missing or expired at `nowMs`. */
  get<T = unknown>(key: string, nowMs: number): Promise<T | undefined>;
  /** Sets a value (JSON), optionally expiring at `expiresAtMs`. */
  set(key: string, value: unknown, options: { readonly nowMs: number; readonly expiresAtMs?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Unexpired entries whose key starts with `prefix`, in key order. */
  list(prefix: string, nowMs: number): Promise<KvEntry[]>;
  /** Deletes expired entries. Returns how many. */
  purgeExpired(nowMs: number): Promise<number>;
}
