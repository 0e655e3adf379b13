/**
 * The record of a refusal with no request context: a connection Bulwark ended before (or between)
 * requests — an HTTP/2 connection over a flood limit: outcome `dropped`, no status — or a head node:http's
 * parser refused (outcome `rejected` with its status and method). The client's refusal shows in the
 * stats, the access log and the detector like any request's, with `decisionBy` naming what refused it
 * (e.g. `h2/rapid_reset`) and a stable error code.
 */
import type { RequestRecord } from '../telemetry/request-record.ts';

/** What is known about a refused connection. */
export interface ConnectionRefusal {
  readonly timeMs: number;
  /** The site it was for (SNI or its first request), or `_unrouted`. */
  readonly site: string;
  readonly host: string;
  readonly requestId: string;
  readonly clientAddress: string;
  readonly prefix: string;
  readonly httpVersion: string;
  /** What refused it, e.g. `h2/rapid_reset`. */
  readonly decisionBy: string;
  readonly errorCode: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  readonly level: RequestRecord['level'];
  /** `dropped` (a connection ended, the default) or `rejected` (a head answered with `status`). */
  readonly outcome?: 'dropped' | 'rejected';
  /** The status answered (0, the default: none). */
  readonly status?: number;
  /** The method, when the head got that far. */
  readonly method?: string;
}

/** The record of a refused connection. */
export function connectionRefusalRecord(r: ConnectionRefusal): RequestRecord {
  return {
    timeMs: r.timeMs,
    site: r.site,
    requestId: r.requestId,
    outcome: r.outcome ?? 'dropped',
    status: r.status ?? 0,
    method: r.method ?? '',
    host: r.host,
    path: '',
    httpVersion: r.httpVersion,
    clientAddress: r.clientAddress,
    prefix: r.prefix,
    userAgent: undefined,
    referer: undefined,
    bytesIn: r.bytesIn,
    bytesOut: r.bytesOut,
    durationMs: r.durationMs,
    originLatencyMs: -1,
    decisionBy: r.decisionBy,
    cacheStatus: null,
    errorCode: r.errorCode,
    cleared: false,
    asn: null,
    country: null,
    fingerprint: '',
    uaClass: 'unknown',
    challenge: null,
    level: r.level,
  };
}
