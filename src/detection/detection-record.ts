/**
 * What the detector reads from a request record, and its mapping onto the core's `RequestEvent`.
 *
 * `DetectionRecord` is the slice of `RequestRecord` (src/telemetry/request-record.ts) the detector needs:
 * every `RequestRecord` is a `DetectionRecord`, so the recorder's sink can be registered as is. The
 * fields `asn`, `country`, `fingerprint`, `uaClass` and `challenge` come from the identify phase and the
 * challenge.
 */
import type { CacheStatus, RequestEvent } from '../core/detect/index.ts';
import type { ClientClass, Outcome } from '../core/vocabulary.ts';

/** The fields of a request record the detector reads (a structural subset of `RequestRecord`). */
export interface DetectionRecord {
  /** When the request ended (ms since the epoch): the second it is counted in. */
  readonly timeMs: number;
  readonly site: string;
  readonly outcome: Outcome;
  readonly status: number;
  /** Path with query, as received (the query is cut off here). */
  readonly path: string;
  readonly clientAddress: string;
  /** Prefix key (`203.0.113.0/24`), '' when unknown. */
  readonly prefix: string;
  readonly userAgent: string | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** -1 when the origin was not asked. */
  readonly originLatencyMs: number;
  /** What decided (`default/allow`, `sig/prefix=…`, `level/under_attack`, `ban/<key>`...). */
  readonly decisionBy: string;
  /** `HIT`, `MISS`, `STALE`, `BYPASS` (any case), or null. */
  readonly cacheStatus: string | null;
  readonly cleared: boolean;
  readonly asn: number | null;
  readonly country: string | null;
  /** Header-order fingerprint, '' when not computed. */
  readonly fingerprint: string;
  readonly uaClass: ClientClass;
  readonly challenge: 'issued' | 'solved' | 'failed' | null;
  /** The request method (for the incident fingerprint's method distribution); absent in older callers. */
  readonly method?: string;
}

function cacheOf(status: string | null): CacheStatus | null {
  if (status === null) return null;
  // The shield writes these upper-case constants: matched as they are, no lower-cased copy per request.
  switch (status) {
    case 'HIT': return 'hit';
    case 'MISS': return 'miss';
    case 'STALE': return 'stale';
    case 'BYPASS': return 'bypass';
    default: break;
  }
  switch (status.toLowerCase()) {
    case 'hit': return 'hit';
    case 'miss': return 'miss';
    case 'stale': return 'stale';
    case 'bypass': return 'bypass';
    default: return null;
  }
}

/** The path without its query string, or null when the request had none (parse errors). */
export function pathOf(path: string): string | null {
  if (path.length === 0) return null;
  const q = path.indexOf('?');
  return q < 0 ? path : q === 0 ? null : path.slice(0, q);
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Fills `event` with the core's view of one record: unknown strings become null (the aggregates skip
 * them) and a negative origin latency becomes null (the origin was not asked). The detection service
 * reuses one event for every request (the aggregates read it synchronously and keep no reference) and
 * sets `addressHash` itself on every request; other callers leave it absent.
 */
export function fillRequestEvent(event: Writable<RequestEvent>, r: DetectionRecord): Writable<RequestEvent> {
  event.site = r.site;
  event.outcome = r.outcome;
  event.status = r.status;
  event.address = r.clientAddress;
  event.prefix = r.prefix.length > 0 ? r.prefix : null;
  event.asn = r.asn;
  event.country = r.country !== null && r.country.length > 0 ? r.country : null;
  event.path = pathOf(r.path);
  event.userAgent = r.userAgent !== undefined && r.userAgent.length > 0 ? r.userAgent : null;
  event.fingerprint = r.fingerprint.length > 0 ? r.fingerprint : null;
  event.cleared = r.cleared;
  event.originLatencyMs = r.originLatencyMs >= 0 ? r.originLatencyMs : null;
  event.bytesIn = r.bytesIn;
  event.bytesOut = r.bytesOut;
  event.cache = cacheOf(r.cacheStatus);
  event.challenge = r.challenge;
  return event;
}

/** A fresh event to fill (all fields present, so every event has the same shape). */
export function emptyRequestEvent(): Writable<RequestEvent> {
  return {
    site: '', outcome: 'forwarded', status: 0, address: '', prefix: null, asn: null, country: null, path: null, userAgent: null,
    fingerprint: null, cleared: false, originLatencyMs: null, bytesIn: 0, bytesOut: 0, cache: null, challenge: null,
  };
}

/** The core's `RequestEvent` for one record, as a new object (see fillRequestEvent). */
export function toRequestEvent(r: DetectionRecord): RequestEvent {
  return fillRequestEvent(emptyRequestEvent(), r);
}
