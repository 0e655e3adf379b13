/**
 * The optional access log: one line per request in JSON or Combined Log Format (so stock CrowdSec and
 * fail2ban parsers work). Lines go through an asynchronous file stream (pino's SonicBoom), so writing
 * never blocks the request path; a full buffer drops lines and counts them instead of growing.
 */
import pino from 'pino';
import type { RequestRecord } from './request-record.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `[10/Oct/2000:13:55:36 +0000]` (always UTC). */
function clfTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => (n < 10 ? `0${n}` : `${n}`);
  return `[${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000]`;
}

function clfQuote(v: string | undefined): string {
  return v === undefined || v === '' ? '"-"' : `"${v.replace(/["\\]/g, (c) => `\\${c}`).replace(/[\x00-\x1f\x7f]/g, '')}"`;
}

/** Formats a record as a Combined Log Format line (with the request ID appended as an extra field). */
export function formatCombined(r: RequestRecord): string {
  const request = `${r.method} ${r.path} HTTP/${r.httpVersion}`;
  return `${r.clientAddress} - - ${clfTime(r.timeMs)} ${clfQuote(request)} ${r.status || '-'} ${r.bytesOut} ${clfQuote(r.referer)} ${clfQuote(r.userAgent)} ${clfQuote(r.requestId)}\n`;
}

/** Formats a record as one JSON line. */
export function formatJson(r: RequestRecord): string {
  return JSON.stringify({
    time: new Date(r.timeMs).toISOString(),
    request_id: r.requestId,
    site: r.site,
    client: r.clientAddress,
    method: r.method,
    host: r.host,
    path: r.path,
    http_version: r.httpVersion,
    status: r.status,
    outcome: r.outcome,
    decision: r.decisionBy,
    bytes_in: r.bytesIn,
    bytes_out: r.bytesOut,
    duration_ms: Math.round(r.durationMs * 10) / 10,
    origin_ms: r.originLatencyMs >= 0 ? Math.round(r.originLatencyMs * 10) / 10 : null,
    cache: r.cacheStatus,
    error: r.errorCode,
    cleared: r.cleared,
    asn: r.asn,
    country: r.country,
    fingerprint: r.fingerprint || null,
    ua_class: r.uaClass,
    challenge: r.challenge,
    level: r.level,
    user_agent: r.userAgent ?? null,
    referer: r.referer ?? null,
  }) + '\n';
}

export interface AccessLog {
  write(record: RequestRecord): void;
  /** Lines dropped because the file could not keep up. */
  readonly dropped: number;
  close(): Promise<void>;
}

/** Opens (appends to) an access log file; creates parent directories. */
export function openAccessLog(path: string, format: 'json' | 'combined'): AccessLog {
  const dest = pino.destination({ dest: path, sync: false, mkdir: true, maxLength: 16 * 1024 * 1024 });
  const fmt = format === 'json' ? formatJson : formatCombined;
  let dropped = 0;
  let broken = false;
  dest.on('error', () => {
    broken = true;
  });
  return {
    write(record) {
      if (broken) {
        dropped++;
        return;
      }
      if (!dest.write(fmt(record))) dropped++;
    },
    get dropped() {
      return dropped;
    },
    close() {
      return new Promise((resolve) => {
        try {
          dest.flushSync?.();
        } catch {
          /* ignore: closing anyway */
        }
        dest.end();
        resolve();
      });
    },
  };
}
