import type { ClientClass, Outcome, ThreatLevel } from '../core/vocabulary.ts';

/**
 * The one event every request produces, served, refused or failed. Built by the
 * record step when the response closes, then handed to every sink (stats, access log, detector).
 */
export interface RequestRecord {
  readonly timeMs: number;
  /** Site name, or `_unrouted` when no site matched (unknown host, parse errors). */
  readonly site: string;
  readonly requestId: string;
  readonly outcome: Outcome;
  /** HTTP status sent, 0 when none (socket dropped). */
  readonly status: number;
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly httpVersion: string;
  readonly clientAddress: string;
  /** Network prefix key of the client (e.g. `203.0.113.0/24`), '' when unknown. */
  readonly prefix: string;
  readonly userAgent: string | undefined;
  readonly referer: string | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  /** Time from sending to the origin until its response head, -1 when the origin was not asked. */
  readonly originLatencyMs: number;
  /** What decided the request (`default/allow`, `rule/<name>`, ...). */
  readonly decisionBy: string;
  readonly cacheStatus: string | null;
  readonly errorCode: string | null;
  /** Whether the client is a cleared visitor (a proof-of-work clearance satisfying the level's challenge). */
  readonly cleared: boolean;
  /** Client's autonomous system and country (null when unknown). */
  readonly asn: number | null;
  readonly country: string | null;
  /** Header fingerprint, '' when not computed. */
  readonly fingerprint: string;
  readonly uaClass: ClientClass;
  /** The challenge step of this request, if any. */
  readonly challenge: 'issued' | 'solved' | 'failed' | null;
  /** Threat level of the site when the request arrived. */
  readonly level: ThreatLevel;
}

/** A consumer of request records. It must not throw; the recorder guards it anyway. */
export type RecordSink = (record: RequestRecord) => void;

export const UNROUTED_SITE = '_unrouted';
