/**
 * The detection service's interface, options and statistics (detection-service.ts builds it).
 */
import type { SignatureRule } from '../core/detect/index.ts';
import type { ThreatLevel } from '../core/vocabulary.ts';
import type { StateStores } from '../stores/index.ts';
import type { IncidentTracker } from '../incidents/incident-tracker.ts';
import type { NetworkLookup } from '../incidents/fingerprint/build-fingerprint.ts';
import type { DetectionRecord } from './detection-record.ts';
import type { DetectionConfig } from '../config/detection-schema.ts';
import type { DetectionCoordination } from './coordination.ts';
import type { SiteContribution } from './contribution.ts';
import type { DetectionStateStore } from './detection-state.ts';
import type { DetectionViewOptions, SiteDetectionView } from './detection-stats.ts';

/** What the service logs through (pino's Logger fits). */
export interface DetectionLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of {@link createDetectionService}. */
export interface DetectionServiceOptions {
  /** The open state (services.stores): incidents, baselines and settings are used. */
  readonly stores: Pick<StateStores, 'incidents' | 'baselines' | 'kv'>;
  /** Names of the configured sites (read once per tick). */
  readonly sites: () => readonly string[];
  readonly config: DetectionConfig;
  readonly logger: DetectionLogger;
  /** Clock. Default `Date.now`. */
  readonly now?: () => number;
  /** Publishes a site's level (services.setLevel): called every tick and on every change. */
  readonly setLevel: (site: string, level: ThreatLevel) => void;
  /**
   * Where levels, rules and baselines are saved and restored from. Default: the SQLite stores above
   * (`createDetectionStateStore`); a shared implementation lets several workers or nodes resume alike.
   */
  readonly state?: DetectionStateStore;
  /** Seed of the address hashes. Default: random per process (so nobody can aim at one sketch cell). */
  readonly hashSeed?: number;
  /** Run the 1 Hz timer and the daily retention sweep from `start()`. Default true (tests drive `tick`). */
  readonly timers?: boolean;
  /**
   * A site's origin queue length (the shield admission's queued requests), sampled at each tick and
   * counted for the second that just ended; null when unknown. `observeQueue` pushes finer samples.
   */
  readonly queueLength?: (site: string) => number | null;
  /**
   * Shares sites with other processes (coordination.ts): with it, the service only writes incidents and
   * persists state for the sites it leads, follows the others, and is fed by `mergeContribution`.
   * Absent: this process is the only one (it leads every site).
   */
  readonly coordination?: DetectionCoordination;
  /** Delay after each second boundary before the tick, ms (default 5; with coordination, time for every share to arrive). */
  readonly tickOffsetMs?: number;
  /**
   * ASN, AS name and country of a source prefix or address (the offline geo data), for the incident
   * fingerprint's source networks; absent or returning null when the data is not loaded.
   */
  readonly lookupNetwork?: NetworkLookup;
}

/** Service-wide counters and every site's view. */
export interface DetectionStats {
  readonly enabled: boolean;
  readonly ticks: number;
  readonly skipped_ticks: number;
  readonly last_tick_ms: number;
  readonly max_tick_ms: number;
  readonly records: number;
  readonly records_without_detector: number;
  /** Shares of other processes merged, and those that arrived too late or for an unknown site. */
  readonly contributions_merged: number;
  readonly contributions_refused: number;
  readonly persist_errors: number;
  /** Detector states saved on a change of level, rules or override (besides the periodic saves). */
  readonly state_saves: number;
  readonly incidents: ReturnType<IncidentTracker['stats']>;
  readonly sites: Record<string, SiteDetectionView>;
}

/** The detection service. */
export interface DetectionService {
  /** Restores saved state, publishes levels, starts the timers. */
  start(): Promise<void>;
  /** Stops the timers, waits for a running tick, saves everything. Idempotent. */
  stop(): Promise<void>;
  /** Recorder sink (register with `recorder.addSink('detection', service.observe)`). Never throws. */
  observe(record: DetectionRecord): void;
  /** The origin queue length of a site (the second's maximum is kept). */
  observeQueue(site: string, length: number): void;
  /** One tick now (the timer calls it; tests call it with a fake clock). */
  tick(): Promise<void>;
  /** The site's level as of the last tick (`normal` for unknown sites). */
  levelOf(site: string): ThreatLevel;
  /** The site's active signature rules (apply and log_only; decide enforces `mode: 'apply'` only). */
  activeRules(site: string): readonly SignatureRule[];
  /** Sets an operator override (stored under `mode/<site>`, applied at once). */
  setOverride(site: string, level: ThreatLevel, untilMs: number, by: string, reason?: string): Promise<void>;
  /** Removes the override: the automatic level applies at once. */
  clearOverride(site: string): Promise<void>;
  /** Runs the retention sweep now; returns incidents rewritten. */
  sweep(): Promise<number>;
  /** Every site's view; `{ seasonal: true }` adds each site's per-hour table (for `GET /detection`). */
  stats(view?: DetectionViewOptions): DetectionStats;
  /** Adds another process's (or this process's collector's) share of a second of a site's traffic. */
  mergeContribution(part: SiteContribution): boolean;
}
