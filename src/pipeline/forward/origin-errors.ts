/**
 * One place that maps a failure toward the origin to what the client sees (after Pingora's
 * error-source mapping): timeouts become 504, refused/reset/unreachable connections 502, a client body
 * that does not match its declared length 400. The page never shows the origin's address.
 */
import { errorCode } from '../../core/errors.ts';
import { PAGES, type PageSpec } from '../pages/pages.ts';

export interface OriginFailure {
  readonly page: PageSpec;
  /** Stable code for logs and the access log. */
  readonly code: string;
  /** Whose fault: the origin (counts toward breakers) or the client (does not). */
  readonly source: 'origin' | 'client';
}

const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const CLIENT_FAULTS = new Set(['UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'BULWARK_ERR_BODY_TOO_LARGE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

export function classifyOriginError(err: unknown): OriginFailure {
  const code = errorCode(err) ?? 'BULWARK_ERR_ORIGIN_UNKNOWN';
  if (TIMEOUTS.has(code)) return { page: PAGES.gatewayTimeout, code, source: 'origin' };
  if (code === 'BULWARK_ERR_BODY_TOO_LARGE') return { page: PAGES.payloadTooLarge, code, source: 'client' };
  if (CLIENT_FAULTS.has(code)) return { page: PAGES.badRequest, code, source: 'client' };
  return { page: PAGES.badGateway, code, source: 'origin' };
}
