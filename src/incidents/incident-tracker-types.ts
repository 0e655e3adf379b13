/**
 * The incident tracker's interface, options and limits (incident-tracker.ts implements it): what the
 * detection service drives every second and `/stats` reads.
 */
import type { CloseReason, IncidentRecord, IncidentStore } from '../stores/index.ts';
import type { IncidentSecondInput } from './incident-accumulator.ts';
import type { NetworkLookup } from './fingerprint/build-fingerprint.ts';

/** Timeline rows kept in memory while the store refuses writes, per incident. */
export const MAX_PENDING_ROWS = 600;

/** What the tracker logs through (pino's Logger fits). */
export interface TrackerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Lifecycle and privacy settings (the `detection.incidents` block, in ms). */
export interface TrackerConfig {
  readonly calmMs: number;
  readonly updateEveryMs: number;
  readonly resumeGapMs: number;
  /** Closed incidents of the same site compared with on close (0 = no linking). */
  readonly compareWith: number;
  /** Retention of address-level source data; 0 keeps it. */
  readonly retentionMs: number;
  readonly truncateAddresses: boolean;
}

/** Options of {@link createIncidentTracker}. */
export interface IncidentTrackerOptions {
  readonly store: IncidentStore;
  readonly config: TrackerConfig;
  readonly logger: TrackerLogger;
  /** ASN, AS name and country of a source prefix (offline geo data) for the fingerprint; none by default. */
  readonly lookupNetwork?: NetworkLookup;
}

/** A site's open incident, as the service and `/stats` show it. */
export interface OpenIncidentInfo {
  readonly site: string;
  /** Null while the store has refused to open it (retried every second). */
  readonly id: string | null;
  readonly openedAtMs: number;
}

/** The incidents of every site. */
export interface IncidentTracker {
  /** Applies the restart policy to incidents left open; call once before the first second. */
  recover(nowMs: number): Promise<{ continued: IncidentRecord[]; closed: IncidentRecord[] }>;
  /** One detector second of a site. */
  onSecond(site: string, input: IncidentSecondInput, nowMs: number): Promise<void>;
  /** The site's open incident, or null. */
  current(site: string): OpenIncidentInfo | null;
  /** Sites with an open incident. */
  openSites(): string[];
  /** Closes a site's incident now (site removed from the config: `interrupted`; operator: `manual`). */
  closeSite(site: string, nowMs: number, reason: CloseReason): Promise<void>;
  /** Writes every open incident's pending rows and record (at stop; they stay open for `recover`). */
  flush(nowMs: number): Promise<void>;
  /** Retention: removes address-level source data of incidents closed before nowMs − retentionMs. */
  sweep(nowMs: number): Promise<number>;
  /**
   * This process starts leading `site` (several Bulwark processes share the store and one leads each
   * site): the site's open incident in the store is continued (closed as `interrupted` when silent for
   * longer than `resumeGapMs`); when the store has none but this process released one of the site's
   * incidents less than `resumeGapMs` ago (the shared store restarted empty), that one is opened again
   * under its id, with what was accumulated.
   */
  adopt(site: string, nowMs: number): Promise<void>;
  /** This process stops leading `site`: forgets its state without writing or closing (the next leader adopts it). */
  release(site: string, nowMs: number): void;
  stats(): { open: OpenIncidentInfo[]; opened: number; closed: number; writeErrors: number; pendingRows: number; droppedRows: number };
}
